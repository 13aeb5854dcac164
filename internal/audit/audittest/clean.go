package audittest

import (
	"bytes"
	"regexp"
	"strconv"
)

var credentialShapes = []*regexp.Regexp{
	regexp.MustCompile(`-----BEGIN [A-Z ]*(CERTIFICATE|PRIVATE KEY)-----`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.`), // a JWT (service-account token)
	regexp.MustCompile(`"token":"[^"]`),                                // a TokenRequest's response
	regexp.MustCompile(`(?i)"authorization":`),
}

// Clean is an error when data holds something shaped like a credential: a PEM
// certificate or private key, a JWT, a token in a TokenRequest response.
func Clean(data []byte) error {
	for _, re := range credentialShapes {
		if loc := re.FindIndex(data); loc != nil {
			return &credentialError{re.String(), bytes.Count(data[:loc[0]], []byte("\n")) + 1}
		}
	}
	return nil
}

type credentialError struct {
	shape string
	line  int
}

func (e *credentialError) Error() string {
	return "line " + strconv.Itoa(e.line) + ": something shaped like a credential (" + e.shape + ")"
}
