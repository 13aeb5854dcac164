package webhook

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// CertFiles are the files GenerateCerts writes into a directory.
var CertFiles = struct{ CA, CAKey, Cert, Key string }{"ca.crt", "ca.key", "tls.crt", "tls.key"}

// CertOptions say what GenerateCerts makes.
type CertOptions struct {
	// DNSNames and IPs name the serving certificate's subject (at least one).
	DNSNames []string
	IPs      []net.IP
	// Validity is how long the certificates are valid.
	Validity time.Duration
	// Force replaces files already in the directory; without it GenerateCerts
	// refuses to write if any of CertFiles exists (a CA key once replaced cannot be
	// recovered, and every caBundle made from it stops working).
	Force bool
}

// ExistingFilesError is GenerateCerts refusing to replace files without Force.
type ExistingFilesError struct {
	Dir   string
	Files []string
}

func (e *ExistingFilesError) Error() string {
	return fmt.Sprintf("certs: %s already holds %s: refusing to overwrite", e.Dir, strings.Join(e.Files, ", "))
}

// GenerateCerts writes a new certificate authority and a serving certificate it
// signed into dir (CertFiles; keys readable by the owner only). It is for
// development and tests; clusters use cert-manager or their own PKI. The CA's PEM is
// the webhook configuration's caBundle.
func GenerateCerts(dir string, opts CertOptions) error {
	dnsNames, ips, validity := opts.DNSNames, opts.IPs, opts.Validity
	if len(dnsNames) == 0 && len(ips) == 0 {
		return errors.New("certs: need at least one DNS name or IP address")
	}
	if validity <= 0 {
		return errors.New("certs: validity must be positive")
	}
	names := []string{CertFiles.CA, CertFiles.CAKey, CertFiles.Cert, CertFiles.Key}
	if !opts.Force {
		var existing []string
		for _, n := range names {
			if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
				existing = append(existing, n)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("certs: %w", err)
			}
		}
		if len(existing) > 0 {
			return &ExistingFilesError{Dir: dir, Files: existing}
		}
	}
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: "palisade-webhook-ca"},
		NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	cn := "palisade-webhook"
	if len(dnsNames) > 0 {
		cn = dnsNames[0]
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-5 * time.Minute), NotAfter: now.Add(validity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    dnsNames, IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return err
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		name, typ string
		der       []byte
		mode      os.FileMode
	}{
		{CertFiles.CA, "CERTIFICATE", caDER, 0o644}, {CertFiles.CAKey, "PRIVATE KEY", caKeyDER, 0o600},
		{CertFiles.Cert, "CERTIFICATE", der, 0o644}, {CertFiles.Key, "PRIVATE KEY", keyDER, 0o600},
	} {
		data := pem.EncodeToMemory(&pem.Block{Type: f.typ, Bytes: f.der})
		if err := writeAtomic(filepath.Join(dir, f.name), data, f.mode, opts.Force); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &ExistingFilesError{Dir: dir, Files: []string{f.name}}
			}
			return err
		}
	}
	return nil
}

// writeAtomic writes a file in one step, so a reader never sees half of it: a
// rename over the old file with replace, else a link that fails if the file exists.
func writeAtomic(path string, data []byte, mode os.FileMode, replace bool) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if replace {
		return os.Rename(tmp.Name(), path)
	}
	defer os.Remove(tmp.Name())
	return os.Link(tmp.Name(), path)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		panic(fmt.Sprintf("certs: random serial: %v", err))
	}
	return n
}

// certReloader serves the key pair in two files and reloads it when their contents
// change (a renewed Secret, cert-manager's rotation): Check rereads them, and a pair
// that does not load, does not match, or is not valid now is rejected with the old
// one kept.
type certReloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
	mu                sync.Mutex
	lastCert, lastKey []byte
}

func newCertReloader(certFile, keyFile string) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if _, err := r.Check(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *certReloader) read() (certPEM, keyPEM []byte, err error) {
	if certPEM, err = readFile(r.certFile); err != nil {
		return nil, nil, reject("unreadable", fmt.Errorf("serving certificate: %w", err))
	}
	if keyPEM, err = readFile(r.keyFile); err != nil {
		return nil, nil, reject("unreadable", fmt.Errorf("serving key: %w", err))
	}
	return certPEM, keyPEM, nil
}

// Check reloads the pair if the files changed; changed reports a reload. Changed
// files are read twice, settleDelay apart, and left for the next check if they
// differ (being written).
func (r *certReloader) Check() (changed bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	certPEM, keyPEM, err := r.read()
	if err != nil {
		return false, err
	}
	if bytes.Equal(certPEM, r.lastCert) && bytes.Equal(keyPEM, r.lastKey) {
		return false, nil
	}
	time.Sleep(settleDelay)
	certAgain, keyAgain, err := r.read()
	if err != nil {
		return false, err
	}
	if !bytes.Equal(certPEM, certAgain) || !bytes.Equal(keyPEM, keyAgain) {
		return false, errChanging
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{r.certFile, certPEM}, {r.keyFile, keyPEM}} {
		if len(bytes.TrimSpace(f.data)) == 0 {
			return false, reject("empty", fmt.Errorf("%s is empty", f.name))
		}
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		// A rotation that writes the two files one after the other shows a
		// mismatched pair for a moment: it is retried at the next check.
		reason := "invalid"
		if strings.Contains(err.Error(), "does not match") {
			reason = "key_mismatch"
		}
		return false, reject(reason, fmt.Errorf("serving certificate %s and key %s: %w", r.certFile, r.keyFile, err))
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return false, reject("invalid", fmt.Errorf("serving certificate %s: %w", r.certFile, err))
		}
	}
	if err := validNow(leaf, r.certFile, time.Now()); err != nil {
		return false, err
	}
	pair.Leaf = leaf
	r.cur.Store(&pair)
	r.lastCert, r.lastKey = certPEM, keyPEM
	return true, nil
}

// validNow rejects a certificate outside its validity period: the API server would
// refuse it.
func validNow(c *x509.Certificate, file string, now time.Time) error {
	switch {
	case now.After(c.NotAfter):
		return reject("expired", fmt.Errorf("serving certificate %s expired at %s", file, c.NotAfter.UTC().Format(time.RFC3339)))
	case now.Before(c.NotBefore):
		return reject("not_yet_valid", fmt.Errorf("serving certificate %s is not valid before %s", file, c.NotBefore.UTC().Format(time.RFC3339)))
	}
	return nil
}

// NotAfter is when the certificate in use expires.
func (r *certReloader) NotAfter() time.Time { return r.cur.Load().Leaf.NotAfter }

func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cur.Load(), nil
}

// settleDelay is how long apart a changed configuration or certificate file is
// read twice: if the two reads differ, the file is being written and is left for
// the next check.
var settleDelay = 100 * time.Millisecond

// readFile reads the configuration and certificate files (a variable for tests).
var readFile = os.ReadFile

// errChanging says a file changed between two reads: it is checked again later,
// neither applied nor rejected.
var errChanging = errors.New("file is being written; checked again at the next reload")

// rejection is a file refused at a reload (or at start), with its reason: the
// bounded label of palisade_webhook_reload_rejections_total.
type rejection struct {
	reason string
	err    error
	// what was rejected: "config" unless set ("policies").
	what string
}

func reject(reason string, err error) error { return &rejection{reason: reason, err: err} }

// rejectPolicies rejects the ValidatingAdmissionPolicy files of a generation.
func rejectPolicies(reason string, err error) error {
	return &rejection{reason: reason, err: err, what: "policies"}
}

// rejectionWhat is what err rejected: "config" or "policies".
func rejectionWhat(err error) string {
	var r *rejection
	if errors.As(err, &r) && r.what != "" {
		return r.what
	}
	return "config"
}

func (r *rejection) Error() string { return r.err.Error() }
func (r *rejection) Unwrap() error { return r.err }

// rejectionReason is err's reason ("invalid" when it has none).
func rejectionReason(err error) string {
	var r *rejection
	if errors.As(err, &r) {
		return r.reason
	}
	return "invalid"
}
