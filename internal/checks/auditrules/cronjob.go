package auditrules

// A CronJob runs its pod template again and again on a schedule, surviving the
// deletion of every pod it made: the orchestrator's own persistence mechanism, and
// the attacker's. Every creation and change of one is worth a look; one that runs
// a pod with host access, or changes its image or schedule, more so.

import (
	"strings"

	"github.com/palisade-k8s/palisade/internal/audit"
	"github.com/palisade-k8s/palisade/internal/auditlog"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/rules"
)

func init() {
	audit.Register(&rules.Rule{
		Meta: rules.Meta{
			ID: "PAL-913", Title: "CronJob created or modified", Severity: finding.Medium, Category: catAudit,
			Rationale: "A CronJob re-creates its pods on a schedule, so code planted in one survives the deletion of every pod it ran: persistence through the orchestrator. " +
				"The finding gives the schedule and images from the request body, is high when the job's pods have host access (privileged, host namespaces or paths), and an update is reported only when it changes the schedule, an image or that access (a suspend or a status change is not).",
			Remediation: "Check who created or changed the CronJob and what it runs. Restrict create and update on cronjobs to the identities that deploy, and enforce a Pod Security Standard in the namespace.",
			References:  []string{refAuditing, "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/", "https://attack.mitre.org/techniques/T1053/007/"},
			Frameworks:  rules.Frameworks{MITRE: []string{"T1053.007"}, Layer: layerCluster},
		},
		Targets: rules.Audit,
	}, []audit.Need{{Verbs: writeVerbs, APIGroup: "batch", Resources: []string{"cronjobs"}, Level: auditlog.LevelMetadata, Stage: auditlog.StageResponseComplete}},
		func(s *audit.Setup) audit.Detector { return &cronJobDetector{memo: newMemo(s)} })
}

type cronJobDetector struct{ memo memo }

func (d *cronJobDetector) Event(c *audit.Context) {
	ev := c.Event()
	if !changed(ev, writeVerbs...) || ev.ObjectRef.Resource != "cronjobs" || ev.ObjectRef.Subresource != "" {
		return
	}
	ref := audit.RefOf(ev)
	ref.Kind = "CronJob"
	var detail []string
	var host []string
	if w := podWriteOf(c); w != nil {
		ref = w.Ref
		spec, _ := w.Body["spec"].(map[string]any)
		if s, ok := spec["schedule"].(string); ok {
			detail = append(detail, "schedule "+quoteKey(s))
		}
		var images []string
		for _, im := range w.Images() {
			images = append(images, im.Image)
		}
		if len(images) > 0 {
			if len(images) > 8 {
				images = images[:8]
			}
			detail = append(detail, "image "+strings.Join(images, ", "))
		}
		host = w.Facts.HostAccess()
	} else if ev.Verb != "create" && len(ev.RequestObject) > 0 {
		return // a body without a spec: a change of metadata or suspend only
	}
	sig := strings.Join(detail, ";") + "|" + strings.Join(host, ",")
	if !d.memo.fresh(ref, ev.Verb, sig) {
		return
	}
	msg := "CronJob " + nsName(ref.Namespace, ref.Name) + " " + verbText(ev.Verb)
	if len(detail) > 0 {
		msg += " (" + strings.Join(detail, ", ") + ")"
	}
	r := audit.Report{Object: ref}
	if len(host) > 0 {
		msg += "; its pods have " + strings.Join(host, ", ")
		r.Severity, r.HasSeverity = finding.High, true
	}
	r.Message = msg
	c.Report(r)
}
