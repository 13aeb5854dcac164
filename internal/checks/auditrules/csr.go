package auditrules

// A CertificateSigningRequest for the signer kubernetes.io/kube-apiserver-client,
// once approved, yields a client certificate the API server accepts: the user is
// the certificate's CN, its groups the O entries, both chosen by whoever wrote
// the request. A certificate cannot be revoked before it expires, and nothing in
// RBAC shows it exists. Whoever can create and approve CSRs can mint
// system:masters. The detections read the PKCS#10 request itself (spec.request)
// for the subject, not the CSR's metadata.

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rbac"
	"github.com/palisade-k8s/palisade/internal/rules"
)

const (
	signerClient        = "kubernetes.io/kube-apiserver-client"
	signerKubeletClient = "kubernetes.io/kube-apiserver-client-kubelet"
	// maxCSR bounds the base64 request a detection decodes.
	maxCSR = 64 << 10
)

// privilegedGroups are groups a certificate should never carry unless an
// administrator means it: RBAC bypass, node identities, kubeadm's administrators.
var privilegedGroups = []string{"system:masters", "system:nodes", "kubeadm:cluster-admins"}

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-928", Title: "Client certificate requested by a non-node identity", Severity: finding.Medium, Category: catAudit,
			Rationale: "A CertificateSigningRequest for the signer kubernetes.io/kube-apiserver-client asks for a certificate the API server will accept as the subject's CN (user) and O (groups), which the requester writes; for kube-apiserver-client-kubelet it asks for a node's identity. Kubelets and bootstrap tokens request kubelet certificates; anyone else asking for a client certificate is minting a long-lived credential that RBAC does not list and that cannot be revoked (MITRE T1098, T1550.001). " +
				"High when the subject names a system: user or a privileged group (system:masters, system:nodes, kubeadm:cluster-admins); critical for system:masters. The subject is read from the PKCS#10 request in spec.request, so the event must be logged at Request level.",
			Remediation: "Deny or delete the CSR unless it is a documented process; issue people short-lived OIDC tokens rather than certificates, and restrict create on certificatesigningrequests.",
			References:  []string{refCSR, "https://kubernetes.io/docs/reference/access-authn-authz/certificate-signing-requests/#kubernetes-signers", mitreURL("T1098")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1098", "T1550.001"}, NSA: []string{nsaAuthn}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: []string{"create"}, APIGroup: certGroup, Resources: []string{"certificatesigningrequests"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete}},
		func(*audit.Setup) audit.Detector { return csrCreated{} })

	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-929", Title: "Client certificate request approved", Severity: finding.High, Category: catAudit,
			Rationale: "Approving a CertificateSigningRequest for kubernetes.io/kube-apiserver-client (or a kubelet client certificate, outside the controllers that approve node bootstrap) has the cluster CA sign a credential for whatever subject the request names: a user and groups that need no binding to exist, valid until the certificate expires, impossible to revoke (MITRE T1098, T1550.001). " +
				"Critical when the subject carries system:masters or another privileged group (system:nodes, kubeadm:cluster-admins), or, with the run's RBAC model, when the user or one of its groups holds a dangerous capability of palisade rbac risks. The chain includes the CSR's creation when the log has it. Approvals of kubelet certificates by system identities (the csrapproving controller) are not reported.",
			Remediation: "Check the subject of the approved request (kubectl get csr NAME -o jsonpath='{.spec.request}' | base64 -d | openssl req -noout -subject); if it was not expected, rotate the CA or, at least, make sure no binding names the subject and its groups. Restrict update on certificatesigningrequests/approval and approve on the signer (CIS 5.1.11).",
			References:  []string{refCSR, mitreURL("T1098")},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1098", "T1550.001"}, CIS: []string{"5.1.11"}, NSA: []string{nsaAuthn}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{
		{Verbs: []string{"update", "patch"}, APIGroup: certGroup, Resources: []string{"certificatesigningrequests/approval"}, Level: auditlog.LevelRequest, Stage: auditlog.StageResponseComplete},
		{Verbs: []string{"create"}, APIGroup: certGroup, Resources: []string{"certificatesigningrequests"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete},
	}, func(s *audit.Setup) audit.Detector {
		return &csrApproved{created: audit.NewLRU[string, *auditlog.Event](s.Limits.MaxIdentities)}
	})
}

// csrSubject is the subject of a PKCS#10 request.
type csrSubject struct {
	CN     string
	Groups []string
}

func (s csrSubject) String() string {
	out := "CN=" + s.CN
	for _, g := range s.Groups {
		out += ", O=" + g
	}
	return out
}

// parseCSR reads the subject of spec.request: base64 (as JSON writes bytes) of a
// PEM CERTIFICATE REQUEST block (or of the DER itself).
func parseCSR(request string) (csrSubject, bool) {
	if request == "" || len(request) > maxCSR {
		return csrSubject{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(request)
	if err != nil {
		return csrSubject{}, false
	}
	der := raw
	if b, _ := pem.Decode(raw); b != nil {
		der = b.Bytes
	}
	req, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return csrSubject{}, false
	}
	return csrSubject{CN: req.Subject.CommonName, Groups: req.Subject.Organization}, true
}

// csrFacts reads a CSR body: its signer and subject.
func csrFacts(body map[string]any) (signer string, subj csrSubject, ok bool) {
	signer = str(body, "spec", "signerName")
	subj, ok = parseCSR(str(body, "spec", "request"))
	return signer, subj, ok
}

// subjectSeverity is how bad a certificate for the subject is, and why.
func subjectSeverity(s csrSubject, base finding.Severity) (finding.Severity, string) {
	if contains(s.Groups, "system:masters") {
		return finding.Critical, "system:masters: every permission, no RBAC"
	}
	for _, g := range privilegedGroups {
		if contains(s.Groups, g) {
			return base + 1, "privileged group " + g
		}
	}
	if strings.HasPrefix(s.CN, "system:") {
		return base + 1, "a system identity"
	}
	return base, ""
}

type csrCreated struct{}

func (csrCreated) Event(c *audit.Context) {
	ev := c.Event()
	o := ev.ObjectRef
	if o == nil || o.APIGroup != certGroup || o.Resource != "certificatesigningrequests" || o.Subresource != "" ||
		ev.Verb != "create" || !completed(ev) || !ev.Succeeded() || isDryRun(ev) {
		return
	}
	body := writtenObject(c)
	signer, subj, ok := csrFacts(body)
	a := c.Actor()
	switch signer {
	case signerClient:
		if a.Node {
			return
		}
	case signerKubeletClient:
		if contains(a.Groups, "system:bootstrappers") {
			return
		}
		if a.Node && (!ok || subj.CN == a.User) {
			return
		}
	default:
		return
	}
	if !ok {
		return
	}
	sev, why := subjectSeverity(subj, finding.Medium)
	msg := a.User + " requested a client certificate (" + signer + ") for " + subj.String()
	if why != "" {
		msg += " (" + why + ")"
	}
	c.Report(audit.Report{Path: "spec.request", Severity: sev, HasSeverity: true, Message: msg})
}

type csrApproved struct {
	created *audit.LRU[string, *auditlog.Event]
}

func (d *csrApproved) Event(c *audit.Context) {
	ev := c.Event()
	o := ev.ObjectRef
	if o == nil || o.APIGroup != certGroup || o.Resource != "certificatesigningrequests" || !completed(ev) || !ev.Succeeded() || isDryRun(ev) {
		return
	}
	if o.Subresource == "" && ev.Verb == "create" {
		name := o.Name
		if name == "" {
			name = str(writtenObject(c), "metadata", "name")
		}
		if name != "" {
			d.created.Put(name, audit.Trim(ev))
		}
		return
	}
	if o.Subresource != "approval" || (ev.Verb != "update" && ev.Verb != "patch") {
		return
	}
	body := writtenObject(c)
	if !approved(body) {
		return
	}
	signer, subj, ok := csrFacts(body)
	a := c.Actor()
	switch {
	case signer == signerClient:
	case signer == signerKubeletClient && !a.System:
	default:
		return
	}
	name := o.Name
	if name == "" {
		name = str(body, "metadata", "name")
	}
	var chain []*auditlog.Event
	if cr, found := d.created.Get(name); found {
		chain = append(chain, cr)
	}
	msg := a.User + " approved CSR " + name + " (" + signer + ")"
	sev := finding.High
	if ok {
		msg += " for " + subj.String()
		var why string
		sev, why = subjectSeverity(subj, finding.High)
		if why != "" {
			msg += " (" + why + ")"
		}
		var held []string
		if subj.CN != "" {
			held = append(held, risksOf(c, rbac.Subject{Kind: rbac.KindUser, Name: subj.CN})...)
		}
		for _, g := range subj.Groups {
			for _, r := range risksOf(c, rbac.Subject{Kind: rbac.KindGroup, Name: g}) {
				if !contains(held, r) {
					held = append(held, r)
				}
			}
		}
		if len(held) > 0 {
			sev = finding.Critical
			msg += "; the subject holds " + strings.Join(sorted(held), ", ")
		}
	}
	if req := str(body, "spec", "username"); req != "" {
		msg += ", requested by " + req
	}
	c.Report(audit.Report{Chain: chain, Path: "status.conditions", Severity: sev, HasSeverity: true, Message: msg})
}

// approved reports whether a CSR body carries the Approved condition (and not
// Denied).
func approved(body map[string]any) bool {
	conds, _ := field(body, "status")["conditions"].([]any)
	yes := false
	for _, x := range conds {
		m, _ := x.(map[string]any)
		st := str(m, "status")
		switch str(m, "type") {
		case "Approved":
			yes = st == "" || st == "True"
		case "Denied", "Failed":
			if st == "" || st == "True" {
				return false
			}
		}
	}
	return yes
}
