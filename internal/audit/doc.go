// Package audit judges audit events: the engine behind `palisade audit` and the
// webhook's /audit endpoint. The detections are rules like every other (ID,
// severity, rationale, remediation, framework and MITRE ATT&CK mappings) whose
// logic is a Detector registered here (Register); internal/checks/auditrules holds
// them.
//
// What the engine adds to single-event matching is state: the objects the log (or
// the current state given with -f manifests or read from the cluster) created, kept
// by reference so that an exec names the pod it entered and whether that pod is
// privileged; per-detector state about identities, windowed by the log's own clock;
// and the RBAC context of the identity acting (what it could do next, from the RBAC
// model of the run). Every piece of state is bounded (Limits): memory does not grow
// with the number of events.
//
// The files: register.go (the detection contract: Register, Detector, Need),
// dispatch.go (events reach only the detectors whose Needs name their resource),
// engine.go (Engine, Context, Report, the evidence of a finding), state.go (the
// remembered objects and how events update them), rbaccontext.go (which RBAC risk
// classes raise a finding's severity), lru.go (the bounded map of all state).
package audit
