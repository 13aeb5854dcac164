module palisade.test/vulnapp

go 1.21

require (
	github.com/dgrijalva/jwt-go v3.2.0+incompatible
	github.com/gorilla/websocket v1.4.0
	github.com/tidwall/gjson v1.6.0
	golang.org/x/crypto v0.0.0-20200622213623-75b288015ac9
	golang.org/x/net v0.0.0-20210226172049-e18ecbb05110
	golang.org/x/text v0.3.5
	gopkg.in/yaml.v2 v2.4.0
	gopkg.in/yaml.v3 v3.0.0-20210107192922-496545a6307b
)

require (
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/tidwall/match v1.0.1 // indirect
	github.com/tidwall/pretty v1.0.0 // indirect
	golang.org/x/sys v0.0.0-20201119102817-f84b799fce68 // indirect
)

// The code in the binary is yaml.v2 v2.2.2: what a scanner must match.
replace gopkg.in/yaml.v2 => gopkg.in/yaml.v2 v2.2.2
