package ingest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func server(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<html><head><title>T</title></head><body><p>Hello.</p></body></html>"))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := []byte(strings.Repeat("<p>padding padding padding</p>", 1000))
		for i := 0; i < 2000; i++ { // ~50 MB, no Content-Length
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/image", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	mux.HandleFunc("/to-loopback2", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(srv.URL, "127.0.0.1", "127.0.0.2", 1)+"/article", http.StatusFound)
	})
	mux.HandleFunc("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/admin", http.StatusFound)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	return srv
}

// onlyTestServer lets the test server's exact address through, so every
// other rule is exercised as in production.
func onlyTestServer() func(netip.Addr) bool {
	want := netip.MustParseAddr("127.0.0.1")
	return func(ip netip.Addr) bool { return ip == want }
}

func TestFetchAllowed(t *testing.T) {
	srv := server(t)
	f := New(Options{})
	f.permit = onlyTestServer()
	p, err := f.Fetch(context.Background(), srv.URL+"/article")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "article.html" || !strings.Contains(string(p.Data), "Hello.") {
		t.Errorf("page = %+v", p)
	}
}

func TestFetchRefusals(t *testing.T) {
	srv := server(t)
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	strict := New(Options{})
	permitted := New(Options{MaxBytes: 1 << 20})
	permitted.permit = onlyTestServer()
	tests := []struct {
		name string
		f    *Fetcher
		url  string
		want string
	}{
		{"loopback by name", strict, "http://localhost" + port + "/article", "loopback"},
		{"loopback by address", strict, srv.URL + "/article", "loopback"},
		{"redirect to another loopback address", permitted, srv.URL + "/to-loopback2", "127.0.0.2"},
		{"redirect into a private range", permitted, srv.URL + "/to-private", "10.0.0.1"},
		{"redirect to file://", permitted, srv.URL + "/to-file", "only http and https"},
		{"file URL", strict, "file:///etc/passwd", "only http and https"},
		{"ftp URL", strict, "ftp://example.com/x", "only http and https"},
		{"credentials", strict, "http://user:pw@example.com/", "credentials"},
		{"50 MB page", permitted, srv.URL + "/huge", "limit"},
		{"not an article", permitted, srv.URL + "/image", "content type"},
		{"not a URL", strict, "::::", "not a URL"},
	}
	for _, tt := range tests {
		_, err := tt.f.Fetch(context.Background(), tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tt.name, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrRefused) && tt.name != "not a URL" {
			t.Errorf("%s: %v is not marked refused", tt.name, err)
		}
	}
}

func TestInternal(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
		"::1": true, "fe80::1": true, "fd00::1": true, "100.64.0.1": true, "0.0.0.0": true, "::ffff:127.0.0.1": true,
		"93.184.216.34": false, "2606:4700::1111": false,
	} {
		if got := Internal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Internal(%s) = %v, want %v", addr, got, want)
		}
	}
}
