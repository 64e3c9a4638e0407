package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/obj"
)

const objLong = `Object store commands, in the habits of 'nats object': objects of any size
stored as chunks in a JetStream stream, readable by nats.go and the nats CLI.
Puts and gets stream (memory does not grow with the object) and gets are
checked against the stored SHA-256 before they count as done. Transfers
larger than 4 MiB show a progress bar when stderr is a terminal.

Examples:
  starling obj add files --description "build output"
  starling obj put files ./release.tar.gz
  cat big.iso | starling obj put files --name big.iso
  starling obj get files release.tar.gz --output /tmp/release.tar.gz
  starling obj ls files
  starling obj info files release.tar.gz
  starling obj link files latest files release.tar.gz
  starling obj watch files
  starling obj rm files release.tar.gz`

// newObjCommand is "starling obj" and its subcommands.
func newObjCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "obj",
		Aliases: []string{"object"},
		Short:   "put, get and manage objects in JetStream object stores",
		Long:    objLong,
	}
	cmd.AddCommand(
		newObjAddCommand(g),
		newObjPutCommand(g),
		newObjGetCommand(g),
		newObjRmCommand(g),
		newObjLsCommand(g),
		newObjInfoCommand(g),
		newObjSealCommand(g),
		newObjWatchCommand(g),
		newObjLinkCommand(g),
	)
	return cmd
}

// objSession is a command's JetStream context and its teardown.
type objSession struct {
	l *link
	j *js.JetStream
}

func (g *globals) objSession(cmd *cobra.Command) (*objSession, error) {
	l, err := g.open(cmd)
	if err != nil {
		return nil, err
	}
	if l.embedded != nil {
		fmt.Fprintln(g.st.stderr, "starling: warning: the embedded server's stores are gone when this command ends; start one with 'starling server' or give --server")
	}
	nc, err := l.connect(cmd.Context(), cmd.CommandPath())
	if err != nil {
		_ = l.close()
		return nil, err
	}
	j, err := js.New(nc.Conn, js.WithTimeout(g.conn.timeout))
	if err != nil {
		_ = l.close()
		return nil, err
	}
	return &objSession{l: l, j: j}, nil
}

func (s *objSession) close() {
	s.j.Close()
	_ = s.l.close()
}

func (s *objSession) store(ctx context.Context, bucket string) (*obj.Store, error) {
	return obj.Open(ctx, s.j, bucket)
}

// withStore runs f on the store bucket over a session that ends with it:
// the start of every command that works on one existing store.
func (g *globals) withStore(cmd *cobra.Command, bucket string, f func(ctx context.Context, s *objSession, st *obj.Store) error) error {
	s, err := g.objSession(cmd)
	if err != nil {
		return err
	}
	defer s.close()
	ctx := cmd.Context()
	st, err := s.store(ctx, bucket)
	if err != nil {
		return err
	}
	return f(ctx, s, st)
}

func newObjAddCommand(g *globals) *cobra.Command {
	var (
		cfg      obj.Config
		storage  string
		compress bool
	)
	cmd := &cobra.Command{
		Use:   "add BUCKET",
		Short: "create an object store (or open it if it exists with the same settings)",
		Args:  exactArgs(1, "BUCKET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Bucket = args[0]
			switch storage {
			case "file":
				cfg.Storage = js.FileStorage
			case "memory":
				cfg.Storage = js.MemoryStorage
			default:
				return usageErrorf(cmd, "--storage must be file or memory, not %q", storage)
			}
			cfg.Compression = compress
			s, err := g.objSession(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			st, err := obj.Create(cmd.Context(), s.j, cfg)
			if err != nil {
				return err
			}
			status, err := st.Status(cmd.Context())
			if err != nil {
				return err
			}
			printObjStatus(g.st.stdout, status)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Description, "description", "", "a description of the store")
	f.DurationVar(&cfg.TTL, "ttl", 0, "remove objects older than this (0: never)")
	f.Int64Var(&cfg.MaxBytes, "max-bytes", 0, "the most bytes the store may hold (0: no limit)")
	f.StringVar(&storage, "storage", "file", "file or memory")
	f.IntVar(&cfg.Replicas, "replicas", 1, "how many servers keep a copy")
	f.BoolVar(&compress, "compress", false, "compress chunks on the server (s2)")
	return cmd
}

func newObjPutCommand(g *globals) *cobra.Command {
	var (
		name, description string
		chunk             int
		noProgress        bool
	)
	cmd := &cobra.Command{
		Use:   "put BUCKET [FILE]",
		Short: "store a file, or stdin, as an object",
		Long: `Stores FILE (or stdin, which then needs --name) as an object. The name is
FILE's base name unless --name says otherwise. The upload streams in chunks;
if it fails, the partial upload is removed and an earlier version of the object
stays as it was.`,
		Args: rangeArgs(1, 2, "BUCKET [FILE]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if chunk <= 0 {
				return usageErrorf(cmd, "--chunk-size must be positive")
			}
			var in io.Reader = g.st.stdin
			size := int64(-1)
			if len(args) == 2 {
				f, err := os.Open(args[1])
				if err != nil {
					return err
				}
				defer f.Close()
				if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
					size = fi.Size()
				}
				in = f
				if name == "" {
					name = filepath.Base(args[1])
				}
			} else if name == "" {
				return usageErrorf(cmd, "--name is needed when the object comes from stdin")
			}
			s, err := g.objSession(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			st, err := s.store(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			bar := newTransferBar(g.st, !noProgress, size, "put "+name)
			info, err := st.Put(cmd.Context(), obj.Meta{Name: name, Description: description}, bar.reader(in), obj.WithChunkSize(chunk))
			bar.finish(err)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.st.stdout, "stored %s in %s: %s in %d chunks, %s\n", info.Name, info.Bucket, humanBytes(info.Size), info.Chunks, info.Digest)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the object's name (default: FILE's base name)")
	f.StringVar(&description, "description", "", "a description of the object")
	f.IntVar(&chunk, "chunk-size", obj.DefaultChunkSize, "bytes per chunk message")
	f.BoolVar(&noProgress, "no-progress", false, "never show a progress bar")
	return cmd
}

func newObjGetCommand(g *globals) *cobra.Command {
	var (
		output     string
		noProgress bool
	)
	cmd := &cobra.Command{
		Use:   "get BUCKET NAME",
		Short: "fetch an object into a file, or stdout with --output -",
		Long: `Fetches object NAME into --output (default: NAME's base name in the current
directory; "-" for stdout). The bytes go to a temporary file beside the target,
which is renamed into place only after the size and SHA-256 digest check out, so
an interrupted or corrupt download never leaves a partial file under the name.`,
		Args: exactArgs(2, "BUCKET NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.objSession(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			st, err := s.store(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			r, err := st.Get(ctx, args[1])
			if err != nil {
				return err
			}
			defer r.Close()
			info := r.Info()
			bar := newTransferBar(g.st, !noProgress && output != "-", int64(info.Size), "get "+args[1])
			if output == "-" {
				_, err = r.WriteTo(g.st.stdout)
				return err
			}
			if output == "" {
				output = filepath.Base(args[1])
			}
			err = writeVerified(output, func(w io.Writer) error {
				_, err := r.WriteTo(bar.writer(w))
				return err
			})
			bar.finish(err)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.st.stderr, "wrote %s (%s, digest verified)\n", output, humanBytes(info.Size))
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "O", "", `where to write ("-": stdout; default: NAME's base name)`)
	cmd.Flags().BoolVar(&noProgress, "no-progress", false, "never show a progress bar")
	return cmd
}

// writeVerified runs write on a temporary file beside path and renames it
// to path only when write succeeds (the reader's digest check is part of
// its last read).
func writeVerified(path string, write func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".starling-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func newObjRmCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm BUCKET [NAME]",
		Short: "delete an object, or the whole store when NAME is left out",
		Args:  rangeArgs(1, 2, "BUCKET [NAME]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.objSession(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			ctx := cmd.Context()
			if len(args) == 1 {
				if err := obj.Delete(ctx, s.j, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.st.stdout, "deleted object store %s\n", args[0])
				return nil
			}
			st, err := s.store(ctx, args[0])
			if err != nil {
				return err
			}
			if err := st.Delete(ctx, args[1]); err != nil {
				return err
			}
			fmt.Fprintf(g.st.stdout, "deleted %s from %s\n", args[1], args[0])
			return nil
		},
	}
}

func newObjLsCommand(g *globals) *cobra.Command {
	var deleted bool
	cmd := &cobra.Command{
		Use:   "ls [BUCKET]",
		Short: "list the object stores, or the objects of one",
		Args:  rangeArgs(0, 1, "[BUCKET]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.objSession(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			ctx := cmd.Context()
			tw := tabwriter.NewWriter(g.st.stdout, 0, 4, 2, ' ', 0)
			defer tw.Flush()
			if len(args) == 0 {
				fmt.Fprintln(tw, "BUCKET\tSIZE\tSEALED\tDESCRIPTION")
				for st, err := range obj.List(ctx, s.j) {
					if err != nil {
						return err
					}
					fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", st.Bucket, humanBytes(st.Size), st.Sealed, st.Description)
				}
				return nil
			}
			st, err := s.store(ctx, args[0])
			if err != nil {
				return err
			}
			var opts []obj.InfoOption
			if deleted {
				opts = append(opts, obj.ShowDeleted())
			}
			fmt.Fprintln(tw, "NAME\tSIZE\tTIME\tDIGEST")
			for info, err := range st.List(ctx, opts...) {
				if err != nil {
					return err
				}
				fmt.Fprintln(tw, objLine(info))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&deleted, "deleted", false, "also list deleted objects")
	return cmd
}

// objLine is one object in ls and watch: name, size, time, digest or what
// it is instead.
func objLine(info *obj.Info) string {
	what := info.Digest
	switch {
	case info.Deleted:
		what = "deleted"
	case info.IsLink() && info.Options.Link.Name == "":
		what = "link to bucket " + info.Options.Link.Bucket
	case info.IsLink():
		what = "link to " + info.Options.Link.Bucket + "/" + info.Options.Link.Name
	}
	return fmt.Sprintf("%s\t%s\t%s\t%s", info.Name, humanBytes(info.Size), info.ModTime.Local().Format(time.DateTime), what)
}

func newObjInfoCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "info BUCKET [NAME]",
		Short: "show a store's status, or an object's info",
		Args:  rangeArgs(1, 2, "BUCKET [NAME]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd, args[0], func(ctx context.Context, _ *objSession, st *obj.Store) error {
				if len(args) == 1 {
					status, err := st.Status(ctx)
					if err != nil {
						return err
					}
					printObjStatus(g.st.stdout, status)
					return nil
				}
				info, err := st.GetInfo(ctx, args[1], obj.ShowDeleted())
				if err != nil {
					return err
				}
				w := tabwriter.NewWriter(g.st.stdout, 0, 4, 2, ' ', 0)
				defer w.Flush()
				fmt.Fprintf(w, "Object:\t%s\nBucket:\t%s\n", info.Name, info.Bucket)
				if info.Description != "" {
					fmt.Fprintf(w, "Description:\t%s\n", info.Description)
				}
				fmt.Fprintf(w, "Size:\t%s (%d bytes)\nChunks:\t%d\nModified:\t%s\n", humanBytes(info.Size), info.Size, info.Chunks, info.ModTime.Local().Format(time.RFC3339))
				if info.Digest != "" {
					fmt.Fprintf(w, "Digest:\t%s\n", info.Digest)
				}
				if info.Deleted {
					fmt.Fprintf(w, "Deleted:\ttrue\n")
				}
				if info.IsLink() {
					fmt.Fprintf(w, "Link:\t%s/%s\n", info.Options.Link.Bucket, info.Options.Link.Name)
				}
				for k, v := range info.Headers {
					fmt.Fprintf(w, "Header %s:\t%s\n", k, strings.Join(v, ", "))
				}
				for k, v := range info.Metadata {
					fmt.Fprintf(w, "Metadata %s:\t%s\n", k, v)
				}
				return nil
			})
		},
	}
}

func printObjStatus(out io.Writer, st *obj.Status) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	defer w.Flush()
	fmt.Fprintf(w, "Object store:\t%s\n", st.Bucket)
	if st.Description != "" {
		fmt.Fprintf(w, "Description:\t%s\n", st.Description)
	}
	ttl := "unlimited"
	if st.TTL > 0 {
		ttl = st.TTL.String()
	}
	fmt.Fprintf(w, "Size:\t%s\nTTL:\t%s\nStorage:\t%s\nReplicas:\t%d\nSealed:\t%v\nCompressed:\t%v\nBacking store:\t%s\n",
		humanBytes(st.Size), ttl, st.Storage, st.Replicas, st.Sealed, st.Compressed, st.BackingStore)
	for k, v := range st.Metadata {
		if !strings.HasPrefix(k, "_nats") {
			fmt.Fprintf(w, "Metadata %s:\t%s\n", k, v)
		}
	}
}

func newObjSealCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "seal BUCKET",
		Short: "make a store read-only, for good",
		Args:  exactArgs(1, "BUCKET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := g.objSession(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			st, err := s.store(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := st.Seal(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(g.st.stdout, "sealed %s\n", args[0])
			return nil
		},
	}
}

func newObjWatchCommand(g *globals) *cobra.Command {
	var updatesOnly bool
	cmd := &cobra.Command{
		Use:   "watch BUCKET",
		Short: "print the store's objects, then each change, until interrupted",
		Args:  exactArgs(1, "BUCKET"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd, args[0], func(ctx context.Context, _ *objSession, st *obj.Store) error {
				var opts []obj.WatchOption
				if updatesOnly {
					opts = append(opts, obj.UpdatesOnly())
					fmt.Fprintf(g.st.stderr, "watching %s for changes\n", args[0])
				}
				for info, err := range st.Watch(ctx, opts...) {
					if err != nil {
						if ctx.Err() != nil {
							return nil // interrupted: the normal end
						}
						return err
					}
					if info == nil {
						fmt.Fprintf(g.st.stderr, "watching %s for changes\n", args[0])
						continue
					}
					fmt.Fprintf(g.st.stdout, "[%s] %s\n", time.Now().Format(time.TimeOnly), strings.ReplaceAll(objLine(info), "\t", " "))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&updatesOnly, "updates", false, "only changes made from now on")
	return cmd
}

func newObjLinkCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "link BUCKET NAME TARGET_BUCKET [TARGET_NAME]",
		Short: "store NAME as a link to an object, or to a whole store without TARGET_NAME",
		Args:  rangeArgs(3, 4, "BUCKET NAME TARGET_BUCKET [TARGET_NAME]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd, args[0], func(ctx context.Context, s *objSession, st *obj.Store) error {
				target, err := s.store(ctx, args[2])
				if err != nil {
					return err
				}
				if len(args) == 3 {
					if _, err := st.AddBucketLink(ctx, args[1], target); err != nil {
						return err
					}
					fmt.Fprintf(g.st.stdout, "linked %s/%s to store %s\n", args[0], args[1], args[2])
					return nil
				}
				ti, err := target.GetInfo(ctx, args[3])
				if err != nil {
					return err
				}
				if _, err := st.AddLink(ctx, args[1], ti); err != nil {
					return err
				}
				fmt.Fprintf(g.st.stdout, "linked %s/%s to %s/%s\n", args[0], args[1], args[2], args[3])
				return nil
			})
		},
	}
}
