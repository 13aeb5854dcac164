package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/palisade-k8s/palisade/internal/finding"
)

// The defaults of a read of the nodes' kubelet configurations.
const (
	// DefaultNodeConcurrency bounds the /configz requests in flight.
	DefaultNodeConcurrency = 8
	// DefaultNodeTotal bounds the whole read of the nodes' configurations: the
	// nodes not read by then are coverage gaps.
	DefaultNodeTotal = 2 * time.Minute
	// DefaultConfigzMaxBytes bounds one /configz response (a kubelet's is a few
	// kilobytes).
	DefaultConfigzMaxBytes = 1 << 20
)

// NodePermission is the permission reading a kubelet's /configz through the API
// server needs. It is dangerous: nodes/proxy reaches the kubelet's whole API.
const NodePermission = "get nodes/proxy"

// NodeOptions say how to read the nodes' kubelet configurations.
type NodeOptions struct {
	// Timeout bounds each request (default 30s).
	Timeout time.Duration
	// Total bounds the whole read (default DefaultNodeTotal).
	Total time.Duration
	// Concurrency bounds the requests in flight (default DefaultNodeConcurrency).
	Concurrency int
	// MaxBytes bounds one /configz response (default DefaultConfigzMaxBytes).
	MaxBytes int64
	// PageSize is the limit of each page of the Node list (default 500).
	PageSize int64
	// Progress, if set, receives a line on what was read.
	Progress io.Writer
}

// NodeConfig is one node's kubelet configuration as its /configz serves it, with
// what the Node object says of the node.
type NodeConfig struct {
	Name   string
	Labels map[string]string
	// OSImage, KernelVersion and KubeletVersion are the Node's status.nodeInfo.
	OSImage, KernelVersion, KubeletVersion string
	// Configz is the KubeletConfiguration object /configz serves (the value of
	// its "kubeletconfig" member), as JSON.
	Configz json.RawMessage
}

// NodesResult is what a read of the nodes produced.
type NodesResult struct {
	// Nodes are the nodes whose configuration was read, by name.
	Nodes []NodeConfig
	// Coverage lists the nodes (or the Node list) that could not be read, and why.
	Coverage []finding.CoverageGap
}

// ReadNodes lists the Nodes and reads each kubelet's /configz through the API
// server (GET /api/v1/nodes/NAME/proxy/configz), with at most opts.Concurrency
// requests in flight. A node whose configuration cannot be read (RBAC refuses
// nodes/proxy, the kubelet does not answer, the answer is too large or not a
// configuration) is a coverage gap naming the node; only the end of ctx is an
// error (*InterruptedError).
func ReadNodes(ctx context.Context, cfg *rest.Config, opts NodeOptions) (*NodesResult, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Total <= 0 {
		opts.Total = DefaultNodeTotal
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultNodeConcurrency
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultConfigzMaxBytes
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 100
	}
	client, err := kubernetes.NewForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("cluster client: %w", err)
	}
	res := &NodesResult{}
	var nodes []NodeConfig
	cont := ""
	for {
		lctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		l, err := client.CoreV1().Nodes().List(lctx, metav1.ListOptions{Limit: opts.PageSize, Continue: cont})
		cancel()
		if err != nil && ctx.Err() != nil {
			return nil, &InterruptedError{Kind: "Node", Err: context.Cause(ctx)}
		}
		if err != nil {
			why := reason(err)
			if apierrors.IsForbidden(err) {
				why = "list nodes is not granted, so no kubelet configuration was read: " + why
			}
			res.Coverage = append(res.Coverage, finding.CoverageGap{Kind: "Node", APIVersion: "v1", Reason: why})
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "palisade: Node: not listed: %s\n", why)
			}
			return res, nil
		}
		for _, n := range l.Items {
			nodes = append(nodes, NodeConfig{
				Name: n.Name, Labels: n.Labels,
				OSImage: n.Status.NodeInfo.OSImage, KernelVersion: n.Status.NodeInfo.KernelVersion,
				KubeletVersion: n.Status.NodeInfo.KubeletVersion,
			})
		}
		if cont = l.Continue; cont == "" {
			break
		}
	}

	// The whole read is bounded: nodes not read by then are gaps, not a failure.
	tctx, cancel := context.WithTimeout(ctx, opts.Total)
	defer cancel()
	rc := client.CoreV1().RESTClient()
	sem := make(chan struct{}, opts.Concurrency)
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i := range nodes {
		select {
		case sem <- struct{}{}:
		case <-tctx.Done():
			errs[i] = fmt.Errorf("not read within the %s bound of the node read", opts.Total)
			continue
		}
		wg.Add(1)
		go func(n *NodeConfig, errp *error) {
			defer func() { <-sem; wg.Done() }()
			n.Configz, *errp = configz(tctx, rc, n.Name, opts)
		}(&nodes[i], &errs[i])
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil, &InterruptedError{Kind: "Node", Err: context.Cause(ctx)}
	}
	for i, n := range nodes {
		if errs[i] == nil {
			res.Nodes = append(res.Nodes, n)
			continue
		}
		res.Coverage = append(res.Coverage, finding.CoverageGap{Kind: "Node", APIVersion: "v1", Name: n.Name, Reason: errs[i].Error()})
	}
	sort.Slice(res.Nodes, func(i, j int) bool { return res.Nodes[i].Name < res.Nodes[j].Name })
	sort.SliceStable(res.Coverage, func(i, j int) bool { return res.Coverage[i].Name < res.Coverage[j].Name })
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "palisade: read the kubelet configuration of %d of %d nodes\n", len(res.Nodes), len(nodes))
	}
	return res, nil
}

// configz reads one kubelet's /configz through the API server's node proxy.
func configz(ctx context.Context, rc rest.Interface, node string, opts NodeOptions) (json.RawMessage, error) {
	// The name goes into the request's path: a name that is not a node name (from
	// a hostile or broken server) must not reach another path.
	if errs := validation.IsDNS1123Subdomain(node); len(errs) > 0 {
		return nil, fmt.Errorf("not a valid node name, not read: %s", strings.Join(errs, "; "))
	}
	rctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	body, err := rc.Get().AbsPath("/api/v1/nodes", node, "proxy", "configz").Stream(rctx)
	if err != nil {
		switch {
		case apierrors.IsForbidden(err):
			return nil, fmt.Errorf("forbidden: %s is not granted, so the kubelet's /configz was not read (%v)", NodePermission, err)
		case errors.Is(err, context.DeadlineExceeded) || apierrors.IsTimeout(err) || apierrors.IsServerTimeout(err):
			return nil, fmt.Errorf("timed out: the kubelet's /configz did not answer through the API server: %v", err)
		}
		return nil, fmt.Errorf("the kubelet's /configz could not be read through the API server: %v", err)
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("the kubelet's /configz could not be read through the API server: %v", err)
	}
	if int64(len(data)) > opts.MaxBytes {
		return nil, fmt.Errorf("the kubelet's /configz answer is larger than %d bytes", opts.MaxBytes)
	}
	return kubeletConfig(data)
}

// kubeletConfig is the configuration inside a /configz answer
// ({"kubeletconfig": {...}}).
func kubeletConfig(data []byte) (json.RawMessage, error) {
	var doc struct {
		KubeletConfig json.RawMessage `json:"kubeletconfig"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("the kubelet's /configz answer is not JSON: %v", err)
	}
	kc := bytes.TrimSpace(doc.KubeletConfig)
	if len(kc) == 0 || kc[0] != '{' {
		return nil, errors.New(`the kubelet's /configz answer has no "kubeletconfig" object`)
	}
	return json.RawMessage(kc), nil
}
