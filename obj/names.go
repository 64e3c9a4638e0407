package obj

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// Subject layout (ADR-20): stream OBJ_<bucket>, chunks on
// $O.<bucket>.C.<nuid>, meta on $O.<bucket>.M.<base64url(name)>.
const (
	streamPrefix  = "OBJ_"
	subjectPrefix = "$O."
	chunkToken    = ".C."
	metaToken     = ".M."
)

func streamName(bucket string) string         { return streamPrefix + bucket }
func chunkSubject(bucket, nuid string) string { return subjectPrefix + bucket + chunkToken + nuid }
func chunkFilter(bucket string) string        { return subjectPrefix + bucket + chunkToken + ">" }
func metaFilter(bucket string) string         { return subjectPrefix + bucket + metaToken + ">" }

// metaSubject encodes name with the padded URL alphabet, as nats.go and
// the nats CLI do, so any name (dots, spaces, slashes) is one token.
func metaSubject(bucket, name string) string {
	return subjectPrefix + bucket + metaToken + base64.URLEncoding.EncodeToString([]byte(name))
}

func checkBucket(b string) error {
	if b == "" {
		return ErrInvalidStoreName
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("%w: %q", ErrInvalidStoreName, b)
		}
	}
	return nil
}

func checkObjectName(name string) error {
	if name == "" {
		return ErrInvalidObjectName
	}
	return nil
}

const nuidAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newNUID returns 22 random base62 characters: a chunk subject token
// unique per put (the same length and alphabet as a NATS NUID, so the
// subjects look like the ones other clients write).
func newNUID() string {
	var b [22]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail (Go 1.24+)
	for i := range b {
		b[i] = nuidAlphabet[int(b[i])%len(nuidAlphabet)]
	}
	return string(b[:])
}
