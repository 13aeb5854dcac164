package report

import (
	"errors"
	"io"
)

func writeSARIF(w io.Writer, r *Report) error { return errors.New("sarif: not yet implemented") }
