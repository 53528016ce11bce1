package docker_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/simphony/simphony-remote/engine/config"
	"github.com/simphony/simphony-remote/engine/docker"
	"github.com/simphony/simphony-remote/engine/docker/dockertest"
)

// pki is a throw-away CA with a server and a client certificate.
type pki struct {
	t                 *testing.T
	dir               string
	caKey             *ecdsa.PrivateKey
	caTmpl            *x509.Certificate
	caPool            *x509.CertPool
	serverCert        tls.Certificate
	caFile, cert, key string // the client's files
	otherCA           string // a CA that signed nothing here
	serial            int64
}

func newPKI(t *testing.T) *pki {
	p := &pki{t: t, dir: t.TempDir()}
	p.caKey, p.caTmpl = p.ca("test CA")
	caDER, err := x509.CreateCertificate(rand.Reader, p.caTmpl, p.caTmpl, &p.caKey.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	p.caPool = x509.NewCertPool()
	p.caPool.AddCert(caCert)
	p.caFile = p.write("ca.pem", "CERTIFICATE", caDER)

	serverKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serverDER := p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "docker"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, &serverKey.PublicKey)
	p.serverCert = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}

	clientKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clientDER := p.sign(&x509.Certificate{Subject: pkix.Name{CommonName: "simphony-remote"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, &clientKey.PublicKey)
	p.cert = p.write("cert.pem", "CERTIFICATE", clientDER)
	keyDER, _ := x509.MarshalECPrivateKey(clientKey)
	p.key = p.write("key.pem", "EC PRIVATE KEY", keyDER)

	otherKey, otherTmpl := p.ca("other CA")
	otherDER, _ := x509.CreateCertificate(rand.Reader, otherTmpl, otherTmpl, &otherKey.PublicKey, otherKey)
	p.otherCA = p.write("other-ca.pem", "CERTIFICATE", otherDER)
	return p
}

func (p *pki) ca(name string) (*ecdsa.PrivateKey, *x509.Certificate) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.serial++
	return key, &x509.Certificate{
		SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
}

func (p *pki) sign(tmpl *x509.Certificate, pub *ecdsa.PublicKey) []byte {
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.caTmpl, pub, p.caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	return der
}

func (p *pki) write(name, typ string, der []byte) string {
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}

// tlsFront serves the local Docker socket over TCP+TLS on 127.0.0.1,
// requiring a client certificate from the test CA, as a dockerd started
// with --tlsverify would.
func tlsFront(t *testing.T, p *pki) string {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{p.serverCert},
		ClientCAs:    p.caPool, ClientAuth: tls.RequireAndVerifyClientCert,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				if err := conn.(*tls.Conn).Handshake(); err != nil {
					return
				}
				up, err := net.Dial("unix", "/var/run/docker.sock")
				if err != nil {
					return
				}
				defer up.Close()
				go func() { _, _ = io.Copy(up, conn) }()
				_, _ = io.Copy(conn, up)
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

func TestTCPTLS(t *testing.T) {
	local := dockertest.Require(t)
	dockertest.ImportEmptyImage(t, local, "simphony-remote-test/tls:1")
	p := newPKI(t)
	host := tlsFront(t, p)

	cfg := config.Default().Docker
	cfg.Host, cfg.TLS, cfg.TLSVerify = host, true, true
	cfg.TLSCA, cfg.TLSCert, cfg.TLSKey = p.caFile, p.cert, p.key
	cfg.NetworkTimeout = config.Duration(5 * time.Second)

	t.Run("verified", func(t *testing.T) {
		c, err := docker.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Ping(t.Context()); err != nil {
			t.Fatalf("Ping over TCP+TLS: %v", err)
		}
		if err := c.ImageExists(t.Context(), "simphony-remote-test/tls:1"); err != nil {
			t.Errorf("ImageExists over TCP+TLS: %v", err)
		}
	})
	t.Run("wrong CA is refused", func(t *testing.T) {
		bad := cfg
		bad.TLSCA = p.otherCA
		c, err := docker.New(bad)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Ping(t.Context()); err == nil {
			t.Fatal("Ping succeeded although the server's certificate is not from tls_ca")
		}
	})
	t.Run("no verification", func(t *testing.T) {
		insecure := cfg
		insecure.TLSVerify, insecure.TLSCA = false, p.otherCA
		c, err := docker.New(insecure)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Ping(t.Context()); err != nil {
			t.Fatalf("Ping with tls_verify = false: %v", err)
		}
	})
	t.Run("plain TCP against TLS fails", func(t *testing.T) {
		plain := cfg
		plain.TLS = false
		c, err := docker.New(plain)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Ping(t.Context()); err == nil {
			t.Fatal("Ping without TLS succeeded against a TLS endpoint")
		}
	})
}
