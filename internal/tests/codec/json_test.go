package codec_test

import (
	"testing"

	"github.com/starling-nats/starling/codec"
	"pgregory.net/rapid"
)

func genConnect() *rapid.Generator[*codec.ConnectOptions] {
	str := rapid.OneOf(rapid.Just(""), rapid.String(), rapid.StringMatching(`[a-zA-Z0-9._-]{1,20}`))
	return rapid.Custom(func(t *rapid.T) *codec.ConnectOptions {
		return &codec.ConnectOptions{
			Verbose: rapid.Bool().Draw(t, "verbose"), Pedantic: rapid.Bool().Draw(t, "pedantic"),
			TLSRequired: rapid.Bool().Draw(t, "tls"), AuthToken: str.Draw(t, "token"), User: str.Draw(t, "user"),
			Pass: str.Draw(t, "pass"), Name: str.Draw(t, "name"), Lang: str.Draw(t, "lang"), Version: str.Draw(t, "version"),
			Protocol: rapid.IntRange(-1, 2).Draw(t, "protocol"), Echo: rapid.Bool().Draw(t, "echo"), Sig: str.Draw(t, "sig"),
			JWT: str.Draw(t, "jwt"), NKey: str.Draw(t, "nkey"), Headers: rapid.Bool().Draw(t, "headers"),
			NoResponders: rapid.Bool().Draw(t, "nr"),
		}
	})
}

func genInfo() *rapid.Generator[*codec.ServerInfo] {
	str := rapid.OneOf(rapid.Just(""), rapid.String(), rapid.StringMatching(`[a-zA-Z0-9._:-]{1,20}`))
	urls := rapid.OneOf(rapid.Just([]string(nil)), rapid.SliceOfN(str, 1, 4))
	b := rapid.Bool()
	return rapid.Custom(func(t *rapid.T) *codec.ServerInfo {
		return &codec.ServerInfo{
			ServerID: str.Draw(t, "id"), ServerName: str.Draw(t, "name"), Version: str.Draw(t, "version"),
			Proto: rapid.IntRange(-1, 3).Draw(t, "proto"), GitCommit: str.Draw(t, "git"), GoVersion: str.Draw(t, "go"),
			Host: str.Draw(t, "host"), Port: rapid.IntRange(0, 65535).Draw(t, "port"), Headers: b.Draw(t, "headers"),
			AuthRequired: b.Draw(t, "auth"), TLSRequired: b.Draw(t, "tls"), TLSVerify: b.Draw(t, "tlsv"),
			TLSAvailable: b.Draw(t, "tlsa"), MaxPayload: rapid.IntRange(0, 1<<26).Draw(t, "mp"), JetStream: b.Draw(t, "js"),
			IP: str.Draw(t, "ip"), ClientID: rapid.Uint64().Draw(t, "cid"), ClientIP: str.Draw(t, "cip"),
			Nonce: str.Draw(t, "nonce"), Cluster: str.Draw(t, "cluster"), ClusterDynamic: b.Draw(t, "dyn"),
			Domain: str.Draw(t, "domain"), ConnectURLs: urls.Draw(t, "urls"), WSConnectURLs: urls.Draw(t, "wsurls"),
			LameDuckMode: b.Draw(t, "ldm"), Compression: str.Draw(t, "compression"), ConnectInfo: b.Draw(t, "ci"),
			RemoteAccount: str.Draw(t, "acc"), AccountIsSystem: b.Draw(t, "sys"), APILevel: rapid.IntRange(0, 9).Draw(t, "api"),
			XKey: str.Draw(t, "xkey"),
		}
	})
}

// The hand-written CONNECT and INFO JSON is byte for byte what encoding/json
// writes for the same struct, and decodes back to it.
func TestConnectAndInfoJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		o := genConnect().Draw(t, "connect")
		got := codec.AppendConnect(nil, o)
		if want := "CONNECT " + stdJSON(t, o) + "\r\n"; string(got) != want {
			t.Fatalf("AppendConnect:\n got %s\nwant %s", got, want)
		}
		info := genInfo().Draw(t, "info")
		got = codec.AppendInfo(nil, info)
		if want := "INFO " + stdJSON(t, info) + "\r\n"; string(got) != want {
			t.Fatalf("AppendInfo:\n got %s\nwant %s", got, want)
		}
	})
}
