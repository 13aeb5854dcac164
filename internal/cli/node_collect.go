package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/palisade-k8s/palisade/internal/nodecollect"
	"github.com/palisade-k8s/palisade/internal/nodefacts"
	"github.com/palisade-k8s/palisade/internal/nodeprofile"
	"github.com/palisade-k8s/palisade/internal/safetext"
)

// newNode is `palisade node`: collect a node's facts on the node, check facts
// files anywhere.
func newNode(stdout, stderr io.Writer) *cobra.Command {
	c := &cobra.Command{
		Use:   "node",
		Short: "Node checks: collect a node's facts on the node (collect), judge them anywhere (check)",
		Long: `Node checks (CIS 1.1 and 4.1–4.3): ` + "`palisade node collect`" + ` runs on a node and writes a facts
file (the kubelet's and kube-proxy's command lines, working directories, configuration
files and drop-ins, and the owner, group and mode of every file a check names);
` + "`palisade node check FACTS...`" + ` or ` + "`palisade scan FACTS...`" + ` judges facts files offline.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usage(stderr, errors.New("node: give a subcommand: collect or check"))
		},
	}
	c.AddCommand(newNodeCollect(stdout, stderr), newNodeCheck(stdout, stderr))
	return c
}

func newNodeCollect(stdout, stderr io.Writer) *cobra.Command {
	var o nodecollect.Options
	var output string
	c := &cobra.Command{
		Use:   "collect",
		Short: "Read this node's kubelet, kube-proxy and the files CIS names into a facts file",
		Long: `Read this node into a facts file (JSON, kind NodeFacts, palisade.dev/v1): the kubelet's and
kube-proxy's command lines and working directories from /proc (the kubelet's systemd unit
when it is not running, else the profile's known locations), the kubelet's --config file
(staticPodURLHeader values masked) and its --config-dir drop-ins in the order the kubelet
merges them, kube-proxy's configuration, and the owner, group and mode of every file a
check names (service files, kubeconfigs, the client CA, the configuration files, and on a
control-plane node the static pod manifests, CNI files, etcd data directory and PKI).

Paths are host paths, read under --root as a chroot would (symbolic links never lead out
of it); no kubeconfig, key, certificate or environment of a process is read, only their
metadata. Nothing is sent anywhere. In a container, mount the host's / read-only at
/host and give --root /host; with hostPID, /proc is the host's.

The facts go to standard output (or -o FILE); what could not be read is in the facts
(each file's error, the notes) and the notes are also printed on standard error. Judge
the facts with ` + "`palisade node check FACTS...`" + ` or ` + "`palisade scan FACTS...`" + `.

Exit codes: 0 the facts were written (notes, a daemon not found and missing files are
facts, judged as unknown later, not failures); 2 usage error (a bad flag, an unknown
--profile, a root or /proc that cannot be read, an output that cannot be written).`,
		Example: `  sudo palisade node collect -o node.json
  sudo palisade node collect --root /host --proc /proc --node-name worker-1 -o /out/worker-1.json
  ssh worker-1 sudo palisade node collect > worker-1.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Version = Version
			facts, err := nodecollect.Collect(cmd.Context(), o)
			if err != nil {
				return usage(stderr, fmt.Errorf("node collect: %w", err))
			}
			var buf bytes.Buffer
			if err := nodefacts.Encode(&buf, facts); err != nil {
				return usage(stderr, err)
			}
			if err := writeFactsFile(output, buf.Bytes(), stdout); err != nil {
				return usage(stderr, err)
			}
			for _, n := range facts.Notes {
				safetext.Fprintln(stderr, "palisade: note:", n)
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.Root, "root", "/", "the host's root directory (a read-only mount of the host's /, such as /host)")
	f.StringVar(&o.Proc, "proc", "/proc", "the host's /proc (in a pod: with hostPID)")
	f.StringVar(&o.NodeName, "node-name", "", "the node's name (default: the host's /etc/hostname)")
	f.StringVar(&o.Profile, "profile", "", "the distribution profile: "+strings.Join(nodeprofile.Names(), ", ")+" (default: detected)")
	f.StringVarP(&output, "output", "o", "", "write the facts to `FILE` (default: standard output)")
	_ = c.RegisterFlagCompletionFunc("profile", fixedCompletion(nodeprofile.Names()))
	return c
}

// writeFactsFile writes data to the file (replaced whole: written beside it, then
// renamed), or to stdout when the name is empty or "-".
func writeFactsFile(name string, data []byte, stdout io.Writer) error {
	if name == "" || name == "-" {
		_, err := stdout.Write(data)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
