package vap

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/admission"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// objectInterfaces are the admission ObjectInterfaces of the request: the
// EquivalentResourceMapper of the Resources table (matchPolicy Equivalent), and a
// creater and convertor for NewVersionedAttributes when a rule matched an
// equivalent resource of another version. Custom resources convert as the API
// server converts them without a conversion webhook (strategy None: the
// apiVersion changes); built-in kinds convert only where client-go's scheme can.
type objectInterfaces struct {
	res *Resources
}

func newObjectInterfaces(res *Resources) admission.ObjectInterfaces {
	return objectInterfaces{res: res}
}

func (o objectInterfaces) GetObjectCreater() runtime.ObjectCreater     { return o }
func (o objectInterfaces) GetObjectTyper() runtime.ObjectTyper         { return clientgoscheme.Scheme }
func (o objectInterfaces) GetObjectDefaulter() runtime.ObjectDefaulter { return clientgoscheme.Scheme }
func (o objectInterfaces) GetObjectConvertor() runtime.ObjectConvertor { return convertor(o) }
func (o objectInterfaces) GetEquivalentResourceMapper() runtime.EquivalentResourceMapper {
	return o.res.registry
}

// New implements runtime.ObjectCreater.
func (o objectInterfaces) New(gvk schema.GroupVersionKind) (runtime.Object, error) {
	if o.res.isCustom(gvk.GroupKind()) || !clientgoscheme.Scheme.Recognizes(gvk) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		return u, nil
	}
	return clientgoscheme.Scheme.New(gvk)
}

type convertor struct{ res *Resources }

func (c convertor) Convert(in, out, context any) error {
	if ui, ok := in.(*unstructured.Unstructured); ok {
		if uo, ok := out.(*unstructured.Unstructured); ok && c.res.isCustom(ui.GroupVersionKind().GroupKind()) {
			gvk := uo.GroupVersionKind()
			if ui.GroupVersionKind().GroupKind() != gvk.GroupKind() {
				return fmt.Errorf("converting %s to %s: different kinds", ui.GroupVersionKind(), gvk)
			}
			uo.Object = ui.DeepCopy().Object
			uo.SetGroupVersionKind(gvk)
			return nil
		}
	}
	if err := clientgoscheme.Scheme.Convert(in, out, context); err != nil {
		return fmt.Errorf("%w (Palisade converts a built-in kind between versions only where client-go can; the API server converts through its internal version)", err)
	}
	return nil
}

func (c convertor) ConvertToVersion(in runtime.Object, gv runtime.GroupVersioner) (runtime.Object, error) {
	return clientgoscheme.Scheme.ConvertToVersion(in, gv)
}

func (c convertor) ConvertFieldLabel(gvk schema.GroupVersionKind, label, value string) (string, string, error) {
	return clientgoscheme.Scheme.ConvertFieldLabel(gvk, label, value)
}
