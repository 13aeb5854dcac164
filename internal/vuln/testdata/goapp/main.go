// Command vulnapp is the Go binary of the vulnerability differential test
// (internal/vuln/differential_test.go): it links old releases of real modules that
// the Go vulnerability database has advisories for (a tagged version, a pseudo-version,
// a +incompatible version, a replaced module), built once with the current toolchain
// and once with an old one for the standard library's advisories.
package main

import (
	"fmt"

	jwt "github.com/dgrijalva/jwt-go"
	"github.com/gorilla/websocket"
	"github.com/tidwall/gjson"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/html"
	"golang.org/x/text/language"
	yamlv2 "gopkg.in/yaml.v2"
	yamlv3 "gopkg.in/yaml.v3"
)

func main() {
	fmt.Println(language.English, gjson.Get(`{"a":1}`, "a"), websocket.TextMessage, jwt.SigningMethodHS256.Alg())
	fmt.Println(yamlv2.Marshal(1))
	fmt.Println(yamlv3.Marshal(1))
	fmt.Println(html.EscapeString("<"), ssh.KeyAlgoED25519)
}
