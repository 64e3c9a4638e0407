package codec

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

// stdJSON encodes v the way encoding/json does with HTML escaping off (the
// form the hand-written encoders promise to match byte for byte).
func stdJSON(t interface{ Fatal(...any) }, v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{
		"", "plain", `"quoted"`, `back\slash`, "nl\n cr\r tab\t bs\b ff\f", "\x00\x01\x1f\x7f",
		"<html>&", "line\u2028sep\u2029par", "é ünï 日本 🎉", "bad\xffutf8\xc3", "\xed\xa0\x80 surrogate",
		strings.Repeat("x", 1000) + "\"",
	} {
		assert.Equal(t, stdJSON(t, s), string(appendJSONString(nil, s)), "%q", s)
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var s string
		if rapid.Bool().Draw(t, "bytes") {
			s = string(rapid.SliceOf(rapid.Byte()).Draw(t, "raw"))
		} else {
			s = rapid.String().Draw(t, "s")
		}
		want := stdJSON(t, s)
		got := string(appendJSONString(nil, s))
		if got != want {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json: %s", s, got, want)
		}
	})
}

func genConnect() *rapid.Generator[*ConnectOptions] {
	str := rapid.OneOf(rapid.Just(""), rapid.String(), rapid.StringMatching(`[a-zA-Z0-9._-]{1,20}`))
	return rapid.Custom(func(t *rapid.T) *ConnectOptions {
		return &ConnectOptions{
			Verbose: rapid.Bool().Draw(t, "verbose"), Pedantic: rapid.Bool().Draw(t, "pedantic"),
			TLSRequired: rapid.Bool().Draw(t, "tls"), AuthToken: str.Draw(t, "token"), User: str.Draw(t, "user"),
			Pass: str.Draw(t, "pass"), Name: str.Draw(t, "name"), Lang: str.Draw(t, "lang"), Version: str.Draw(t, "version"),
			Protocol: rapid.IntRange(-1, 2).Draw(t, "protocol"), Echo: rapid.Bool().Draw(t, "echo"), Sig: str.Draw(t, "sig"),
			JWT: str.Draw(t, "jwt"), NKey: str.Draw(t, "nkey"), Headers: rapid.Bool().Draw(t, "headers"),
			NoResponders: rapid.Bool().Draw(t, "nr"),
		}
	})
}

func genInfo() *rapid.Generator[*ServerInfo] {
	str := rapid.OneOf(rapid.Just(""), rapid.String(), rapid.StringMatching(`[a-zA-Z0-9._:-]{1,20}`))
	urls := rapid.OneOf(rapid.Just([]string(nil)), rapid.SliceOfN(str, 1, 4))
	b := rapid.Bool()
	return rapid.Custom(func(t *rapid.T) *ServerInfo {
		return &ServerInfo{
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
		got := AppendConnect(nil, o)
		if want := "CONNECT " + stdJSON(t, o) + "\r\n"; string(got) != want {
			t.Fatalf("AppendConnect:\n got %s\nwant %s", got, want)
		}
		info := genInfo().Draw(t, "info")
		got = AppendInfo(nil, info)
		if want := "INFO " + stdJSON(t, info) + "\r\n"; string(got) != want {
			t.Fatalf("AppendInfo:\n got %s\nwant %s", got, want)
		}
	})
}

func TestParseInfo(t *testing.T) {
	in := `{"server_id":"NDX","server_name":"s1","version":"2.15.2","proto":1,"git_commit":"abc","go":"go1.26.8",` +
		`"host":"0.0.0.0","port":4222,"headers":true,"auth_required":true,"tls_required":true,"tls_verify":true,` +
		`"tls_available":true,"max_payload":1048576,"jetstream":true,"ip":"1.2.3.4","client_id":7,"client_ip":"127.0.0.1",` +
		`"nonce":"n0nce","cluster":"c","cluster_dynamic":true,"domain":"d","connect_urls":["a:1","b:2"],` +
		`"ws_connect_urls":["c:3"],"ldm":true,"compression":"s2_auto","connect_info":true,"remote_account":"$G",` +
		`"acc_is_sys":true,"api_lvl":5,"xkey":"XK","future_field":{"x":[1,2]}}`
	info, err := ParseInfo([]byte(in))
	require.NoError(t, err)
	assert.Equal(t, &ServerInfo{ServerID: "NDX", ServerName: "s1", Version: "2.15.2", Proto: 1, GitCommit: "abc",
		GoVersion: "go1.26.8", Host: "0.0.0.0", Port: 4222, Headers: true, AuthRequired: true, TLSRequired: true,
		TLSVerify: true, TLSAvailable: true, MaxPayload: 1048576, JetStream: true, IP: "1.2.3.4", ClientID: 7,
		ClientIP: "127.0.0.1", Nonce: "n0nce", Cluster: "c", ClusterDynamic: true, Domain: "d",
		ConnectURLs: []string{"a:1", "b:2"}, WSConnectURLs: []string{"c:3"}, LameDuckMode: true, Compression: "s2_auto",
		ConnectInfo: true, RemoteAccount: "$G", AccountIsSystem: true, APILevel: 5, XKey: "XK"}, info)

	for _, bad := range []string{"", "{", `{"port":"x"}`, `[1]`, `{"max_payload":1e99}`} {
		_, err := ParseInfo([]byte(bad))
		require.Error(t, err, bad)
		assert.ErrorIs(t, err, ErrMalformed, bad)
		var pe *ProtocolError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, "INFO", pe.Op)
	}
}

func TestParseConnect(t *testing.T) {
	o, err := ParseConnect([]byte(`{"verbose":false,"pedantic":false,"user":"u","pass":"p","lang":"go","protocol":1,"echo":true,"headers":true,"no_responders":true}`))
	require.NoError(t, err)
	assert.Equal(t, &ConnectOptions{User: "u", Pass: "p", Lang: "go", Protocol: 1, Echo: true, Headers: true, NoResponders: true}, o)
	_, err = ParseConnect([]byte(`{"echo":"yes"}`))
	assert.ErrorIs(t, err, ErrMalformed)
}
