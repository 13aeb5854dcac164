package attackpath

import (
	"strings"
	"testing"
)

// TestHostEdges: every setting that takes the node over is evidence with its field
// path and line, one fix removes them all; hostIPC, hostNetwork, other hostPaths and
// capabilities that only reach into the node give no edge.
func TestHostEdges(t *testing.T) {
	g := Build(load(t, "testdata/host.yaml"), Options{})
	agent := edge(g, "workload:ops/DaemonSet/agent", "host", HostNode)
	if agent == nil {
		dump(t, g)
		t.Fatal("no host edge for the privileged DaemonSet")
	}
	want := []string{
		"container agent is privileged (spec.template.spec.containers[1].securityContext.privileged, line 27)",
		"capability SYS_ADMIN added to container agent (spec.template.spec.containers[1].securityContext.capabilities.add[1], line 29)",
		"hostPath volume sock mounts the node's /var/run/docker.sock (read-only: the node's credentials are still read) (spec.template.spec.volumes[1].hostPath.path, line 40)",
	}
	if strings.Join(agent.Evidence, "\n") != strings.Join(want, "\n") {
		t.Errorf("evidence:\n%s\nwant:\n%s", strings.Join(agent.Evidence, "\n"), strings.Join(want, "\n"))
	}
	if f := agent.Fix; f == nil || f.Cost != 3 || f.Path != "spec.template.spec.containers[1].securityContext.privileged" ||
		f.Location == nil || f.Location.Line != 27 || f.Object == nil || f.Object.String() != "DaemonSet/ops/agent" ||
		!strings.Contains(f.Change, "remove hostPath volume sock") {
		t.Errorf("fix = %+v", f)
	}
	debug := edge(g, "workload:ops/CronJob/debug", "host", HostNode)
	if debug == nil || len(debug.Evidence) != 1 || !strings.Contains(debug.Evidence[0], "spec.jobTemplate.spec.template.spec.hostPID, line 53") ||
		debug.Fix.Cost != 1 || debug.Fix.Path != "spec.jobTemplate.spec.template.spec.hostPID" {
		t.Errorf("CronJob hostPID edge = %+v", debug)
	}
	if e := edge(g, "workload:ops/Deployment/near", "host", HostNode); e != nil {
		t.Errorf("hostIPC/hostNetwork/SYS_PTRACE/other hostPath gave an edge: %q", e.Evidence)
	}
	// The path from the internet through near's hostNetwork reaches no node, while
	// a pod elsewhere takes the node through agent or debug.
	paths, err := g.Paths(Query{From: []string{AnyPod}, To: []string{HostNode}})
	if err != nil {
		t.Fatal(err)
	}
	pivots := map[string]bool{}
	for _, p := range paths {
		pivots[p.Pivot.ID] = true
	}
	if !pivots["workload:ops/DaemonSet/agent"] || !pivots["workload:ops/CronJob/debug"] || pivots["workload:ops/Deployment/near"] {
		t.Errorf("pivots = %v", pivots)
	}
}

// TestHostTakeovers: the settings exposure scores 3, and only those.
func TestHostTakeovers(t *testing.T) {
	g := Build(load(t, "testdata/hostprocess.yaml"), Options{})
	e := edge(g, "workload:win/Pod/hp", "host", HostNode)
	if e == nil {
		dump(t, g)
		t.Fatal("no edge for the HostProcess pod")
	}
	// The pod-level hostProcess is the field to change; the container that turns
	// it off is not listed; hostPath / is.
	want := "container a is a Windows HostProcess container (spec.securityContext.windowsOptions.hostProcess, line 9)\n" +
		"hostPath volume root mounts the node's / (spec.volumes[0].hostPath.path, line 22)"
	if got := strings.Join(e.Evidence, "\n"); got != want {
		t.Errorf("evidence:\n%s\nwant:\n%s", got, want)
	}
}
