package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// certFiles writes a self-signed certificate for names and its key.
func certFiles(t *testing.T, names ...string) (string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return cert, keyFile
}

func TestOrigins(t *testing.T) {
	narrowCert, narrowKey := certFiles(t, "lab.example.org")
	wideCert, wideKey := certFiles(t, "lab.example.org", "*.lab.example.org")
	tests := []struct {
		name     string
		env      []string
		wantMode string
		wantHost string
		wantErr  string
	}{
		{name: "the defaults: localhost, subdomains", wantMode: OriginsSubdomain, wantHost: "localhost"},
		{name: "all addresses, no name: path", env: []string{"SIMPHONY_REMOTE_LISTEN=0.0.0.0:443"}, wantMode: OriginsPath, wantHost: "localhost"},
		{name: "all addresses, no port host: path", env: []string{"SIMPHONY_REMOTE_LISTEN=:443"}, wantMode: OriginsPath, wantHost: "localhost"},
		{name: "all addresses and a name: subdomains", env: []string{"SIMPHONY_REMOTE_LISTEN=[::]:443", "SIMPHONY_REMOTE_TLS_HOSTNAMES=lab.example.org"}, wantMode: OriginsSubdomain, wantHost: "lab.example.org"},
		{name: "an IP address: path", env: []string{"SIMPHONY_REMOTE_LISTEN=127.0.0.1:8443"}, wantMode: OriginsPath, wantHost: "127.0.0.1"},
		{name: "the first hostname decides", env: []string{"SIMPHONY_REMOTE_LISTEN=127.0.0.1:8443", "SIMPHONY_REMOTE_TLS_HOSTNAMES=Lab.Example.org,10.0.0.5"},
			wantMode: OriginsSubdomain, wantHost: "lab.example.org"},
		{name: "an IP address first", env: []string{"SIMPHONY_REMOTE_TLS_HOSTNAMES=10.0.0.5,lab.example.org"}, wantMode: OriginsPath, wantHost: "10.0.0.5"},
		{name: "path asked for", env: []string{"SIMPHONY_REMOTE_SESSIONS_ORIGINS=path"}, wantMode: OriginsPath, wantHost: "localhost"},
		{name: "subdomains on an IP address", env: []string{"SIMPHONY_REMOTE_SESSIONS_ORIGINS=subdomain", "SIMPHONY_REMOTE_LISTEN=10.0.0.5:443"},
			wantErr: `configuration key sessions.origins (environment SIMPHONY_REMOTE_SESSIONS_ORIGINS): subdomain origins need a DNS name as the public host`},
		{name: "a made-up mode", env: []string{"SIMPHONY_REMOTE_SESSIONS_ORIGINS=domain"}, wantErr: `"domain" must be auto, subdomain or path`},
		{name: "a certificate without the wildcard", env: []string{"SIMPHONY_REMOTE_TLS_HOSTNAMES=lab.example.org", "SIMPHONY_REMOTE_TLS_CERT_FILE=" + narrowCert, "SIMPHONY_REMOTE_TLS_KEY_FILE=" + narrowKey},
			wantErr: `tls.cert_file does not cover *.lab.example.org`},
		{name: "a certificate without the wildcard, in path mode", env: []string{"SIMPHONY_REMOTE_TLS_HOSTNAMES=lab.example.org", "SIMPHONY_REMOTE_TLS_CERT_FILE=" + narrowCert, "SIMPHONY_REMOTE_TLS_KEY_FILE=" + narrowKey, "SIMPHONY_REMOTE_SESSIONS_ORIGINS=path"},
			wantMode: OriginsPath, wantHost: "lab.example.org"},
		{name: "a wildcard certificate", env: []string{"SIMPHONY_REMOTE_TLS_HOSTNAMES=lab.example.org", "SIMPHONY_REMOTE_TLS_CERT_FILE=" + wideCert, "SIMPHONY_REMOTE_TLS_KEY_FILE=" + wideKey},
			wantMode: OriginsSubdomain, wantHost: "lab.example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Load(Sources{Env: tt.env})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Origins() != tt.wantMode || l.PublicHost() != tt.wantHost {
				t.Errorf("origins %s on %s, want %s on %s", l.Origins(), l.PublicHost(), tt.wantMode, tt.wantHost)
			}
		})
	}
}
