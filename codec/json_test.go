package codec

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
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
	// Random byte strings (invalid UTF-8 included) and random runes, seeded so a failure
	// replays; the property is what encoding/json writes for the same string.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		var s string
		if i%2 == 0 {
			b := make([]byte, rng.IntN(40))
			for j := range b {
				b[j] = byte(rng.UintN(256))
			}
			s = string(b)
		} else {
			r := make([]rune, rng.IntN(20))
			for j := range r {
				r[j] = rune(rng.IntN(0x110000))
			}
			s = string(r)
		}
		if got, want := string(appendJSONString(nil, s)), stdJSON(t, s); got != want {
			t.Fatalf("appendJSONString(%q) = %s, encoding/json: %s", s, got, want)
		}
	}
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
