package webhook

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned is a certificate for 127.0.0.1 valid from notBefore to notAfter, and its
// key, in PEM.
func selfSigned(t *testing.T, notBefore, notAfter time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "x"}, NotBefore: notBefore, NotAfter: notAfter,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
}

// TestCertificateReloadRejects: a reload keeps the certificate in use, and says why
// in the log and the metrics, for an empty file, a half-written one, a key of
// another certificate, an expired certificate and one not yet valid; a valid pair
// is then applied.
func TestCertificateReloadRejects(t *testing.T) {
	ts := start(t, Options{})
	certFile, keyFile := filepath.Join(ts.dir, CertFiles.Cert), filepath.Join(ts.dir, CertFiles.Key)
	served := func() string {
		conn, err := tls.Dial("tcp", ts.Addr(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	first := served()
	goodCert, goodKey := selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	otherCert, _ := selfSigned(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	expiredCert, expiredKey := selfSigned(t, time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour))
	futureCert, futureKey := selfSigned(t, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour))
	for _, tc := range []struct {
		name, reason, log string
		cert, key         []byte
	}{
		{"empty certificate", "empty", "tls.crt is empty", nil, goodKey},
		{"empty key", "empty", "tls.key is empty", goodCert, []byte{}},
		{"half-written certificate", "invalid", "failed to find", goodCert[:len(goodCert)/2], goodKey},
		{"key of another certificate", "key_mismatch", "private key does not match public key", otherCert, goodKey},
		{"expired", "expired", "expired at", expiredCert, expiredKey},
		{"not yet valid", "not_yet_valid", "is not valid before", futureCert, futureKey},
	} {
		rejected := ts.metrics.reloadRejections.WithLabelValues("certificate", tc.reason)
		before := value(rejected)
		os.WriteFile(certFile, tc.cert, 0o600)
		os.WriteFile(keyFile, tc.key, 0o600)
		ts.Reload()
		if got := served(); got != first {
			t.Errorf("%s: served certificate replaced", tc.name)
		}
		if n := value(rejected) - before; n != 1 {
			t.Errorf("%s: %v more rejections with reason %s, want 1", tc.name, n, tc.reason)
		}
		if !strings.Contains(ts.log.String(), tc.log) {
			t.Errorf("%s: log does not say %q:\n%s", tc.name, tc.log, ts.log.String())
		}
	}
	os.WriteFile(certFile, goodCert, 0o600)
	os.WriteFile(keyFile, goodKey, 0o600)
	ts.Reload()
	if served() == first {
		t.Error("a valid pair was not applied after the rejected ones")
	}
	if got := value(ts.metrics.certExpiry); got != float64(ts.certs.NotAfter().Unix()) || got < float64(time.Now().Unix()) {
		t.Errorf("certificate expiry metric %v", got)
	}
	// At start, an expired certificate is an error.
	os.WriteFile(certFile, expiredCert, 0o600)
	os.WriteFile(keyFile, expiredKey, 0o600)
	if _, err := New(Options{CertFile: certFile, KeyFile: keyFile, ParseConfig: parseConfig, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}); err == nil || !strings.Contains(err.Error(), "expired at") {
		t.Errorf("New with an expired certificate: %v", err)
	}
}

// TestConfigReloadRejectsEmpty: an empty (or blank) configuration file is rejected,
// at a reload and at start, instead of serving the built-in defaults.
func TestConfigReloadRejectsEmpty(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
	os.WriteFile(cfgPath, []byte("webhook: {actions: {rules: {PAL-001: warn, PAL-002: warn}}}\n"), 0o644)
	ts := start(t, Options{ConfigPath: cfgPath})
	before := ts.Evaluator()
	for i, empty := range []string{"", " \n\n"} {
		os.WriteFile(cfgPath, []byte(empty), 0o644)
		ts.Reload()
		if ts.Evaluator() != before {
			t.Fatalf("%q replaced the configuration in force", empty)
		}
		if n := value(ts.metrics.reloadRejections.WithLabelValues("config", "empty")); n != float64(i+1) {
			t.Errorf("%q: empty rejections %v", empty, n)
		}
	}
	if !strings.Contains(ts.log.String(), `"reason":"empty","error":"config: `+cfgPath+` is empty"`) {
		t.Errorf("rejection not logged with its reason:\n%s", ts.log.String())
	}
	os.WriteFile(cfgPath, nil, 0o644)
	if _, err := New(Options{ConfigPath: cfgPath, ParseConfig: parseConfig, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("New with an empty configuration: %v", err)
	}
}

// TestReloadWhileWritten: a file that reads differently twice in a row (being
// written) is neither applied nor rejected, and is applied once it is stable.
func TestReloadWhileWritten(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), ".palisade.yaml")
	full := "webhook: {actions: {rules: {PAL-001: warn, PAL-002: warn}}}\n"
	os.WriteFile(cfgPath, []byte("rules: {}\n"), 0o644)
	ts := start(t, Options{ConfigPath: cfgPath})
	before := ts.Evaluator()
	os.WriteFile(cfgPath, []byte(full), 0o644)
	reads := 0
	readFile = func(name string) ([]byte, error) {
		data, err := os.ReadFile(name)
		if reads++; reads == 1 && name == cfgPath {
			// The first read catches the file half written (still valid YAML).
			data = data[:strings.Index(full, " PAL-002")]
			data = append(data, "}}}\n"...)
		}
		return data, err
	}
	defer func() { readFile = os.ReadFile }()
	ts.Reload()
	if ts.Evaluator() != before {
		t.Fatal("a file read differently twice was applied")
	}
	if n := value(ts.metrics.reloads.WithLabelValues("config", "rejected")); n != 0 {
		t.Errorf("a file being written counted as rejected: %v", n)
	}
	if !strings.Contains(ts.log.String(), "changed while read") {
		t.Errorf("not logged:\n%s", ts.log.String())
	}
	ts.Reload()
	if ts.Evaluator() == before {
		t.Error("the file, once stable, was not applied")
	}
}

// TestCertsRefuseOverwrite: GenerateCerts writes nothing into a directory holding any
// of its files, and names them, unless forced.
func TestCertsRefuseOverwrite(t *testing.T) {
	dir := t.TempDir()
	opts := CertOptions{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Validity: time.Hour}
	os.WriteFile(filepath.Join(dir, CertFiles.CAKey), []byte("precious"), 0o600)
	err := GenerateCerts(dir, opts)
	var exists *ExistingFilesError
	if !errors.As(err, &exists) || strings.Join(exists.Files, ",") != CertFiles.CAKey {
		t.Fatalf("existing ca.key: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, CertFiles.CAKey)); string(data) != "precious" {
		t.Error("ca.key overwritten")
	}
	if _, err := os.Stat(filepath.Join(dir, CertFiles.CA)); err == nil {
		t.Error("ca.crt written though the set was refused")
	}
	opts.Force = true
	if err := GenerateCerts(dir, opts); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, CertFiles.CAKey)); string(data) == "precious" {
		t.Error("ca.key not replaced with Force")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("%d files in the directory, want 4 (no temporary file left)", len(entries))
	}
}
