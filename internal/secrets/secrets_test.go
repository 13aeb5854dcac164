package secrets

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// detectCase is one key and value, the detectors expected to fire (in offset
// order) and, optionally, the exact secrets they must locate.
type detectCase struct {
	name, key, value string
	want             []string
	// secrets are the expected value[Offset:Offset+Length] of each match.
	secrets []string
}

func runDetect(t *testing.T, s *Scanner, cases []detectCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ms := s.Detect(tc.key, tc.value)
			var got []string
			for _, m := range ms {
				got = append(got, m.Detector)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("Detect(%q, %.60q) = %v, want %v", tc.key, tc.value, describe(ms), tc.want)
			}
			for i, want := range tc.secrets {
				if got := tc.value[ms[i].Offset : ms[i].Offset+ms[i].Length]; got != want {
					t.Errorf("match %d located %q, want %q", i, got, want)
				}
			}
			for _, m := range ms {
				checkMasked(t, tc.value, m)
			}
		})
	}
}

func describe(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s@%d+%d key=%q", m.Detector, m.Offset, m.Length, m.Key))
	}
	return out
}

// checkMasked asserts that a match never shows more than four characters of its
// secret, and those only as a prefix.
func checkMasked(t *testing.T, value string, m Match) {
	t.Helper()
	secret := value[m.Offset : m.Offset+m.Length]
	prefix, ok := strings.CutSuffix(m.Masked, "****")
	if !ok || len(prefix) > 4 || !strings.HasPrefix(secret, prefix) {
		t.Errorf("%s: masked %q is not at most 4 leading characters and ****", m.Detector, m.Masked)
	}
	if len(secret) >= 8 && strings.Contains(m.Describe(), secret) {
		t.Errorf("%s: description %q contains the secret", m.Detector, m.Describe())
	}
}

func TestAWS(t *testing.T) {
	credentials := "[default]\naws_access_key_id = " + fakeAWSID + "\naws_secret_access_key = " + fakeAWSSecret + "\nregion = eu-west-1\n"
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "access key ID", key: "AWS_ACCESS_KEY_ID", value: fakeAWSID, want: []string{AWSAccessKeyID}, secrets: []string{fakeAWSID}},
		{name: "temporary key ID", key: "", value: "export AWS_ACCESS_KEY_ID=" + fakeAWSTempID + ";", want: []string{AWSAccessKeyID}, secrets: []string{fakeAWSTempID}},
		{name: "secret under its variable", key: "AWS_SECRET_ACCESS_KEY", value: fakeAWSSecret, want: []string{AWSSecretAccessKey}},
		{name: "secret under an SDK field", key: "SecretAccessKey", value: fakeAWSSecret, want: []string{AWSSecretAccessKey}},
		{name: "credentials file", key: "credentials", value: credentials,
			want: []string{AWSAccessKeyID, AWSSecretAccessKey}, secrets: []string{fakeAWSID, fakeAWSSecret}},
		{name: "secret next to an ID under unknown names", key: "", value: "aws configure --id " + fakeAWSID + " --s " + fakeAWSSecret,
			want: []string{AWSAccessKeyID, AWSSecretAccessKey}},
		// The documentation examples of the AWS guides are not credentials.
		{name: "documented example ID", key: "AWS_ACCESS_KEY_ID", value: "AKIAIOSFODNN7EXAMPLE"},
		{name: "documented example secret", key: "AWS_SECRET_ACCESS_KEY", value: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
		{name: "ID too short", key: "", value: "AKIA" + fakeAWSID[4:19]},
		{name: "ID inside a longer word", key: "", value: "X" + fakeAWSID + "Y"},
		{name: "lower case is not base32", key: "", value: "AKIA" + strings.ToLower(fakeAWSID[4:])},
		{name: "variable", key: "AWS_SECRET_ACCESS_KEY", value: "${AWS_SECRET_ACCESS_KEY}"},
		{name: "40-char secret without AWS context", key: "checksum", value: fakeAWSSecret},
		{name: "SHA-1 under the AWS name is only generic", key: "AWS_SECRET_ACCESS_KEY", value: fakeHex40, want: []string{GenericToken}},
	})
}

func TestGCPServiceAccountKey(t *testing.T) {
	key := `-----BEGIN PRIVATE KEY-----\n` + strings.ReplaceAll(fakePEMBody, "\n", `\n`) + `\n-----END PRIVATE KEY-----\n`
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "key file", key: "key.json", value: gcpKey(key), want: []string{GCPServiceAccountKey}, secrets: []string{key}},
		{name: "elided key", key: "key.json", value: gcpKey(`-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n`)},
		{name: "empty key", key: "key.json", value: gcpKey("")},
		{name: "other JSON with a private key is a private key", key: "x.json",
			value: strings.Replace(gcpKey(key), "service_account", "authorized_user", 1), want: []string{PrivateKey}},
	})
	ms := Detect("key.json", gcpKey(key))
	if len(ms) != 1 || ms[0].Note != "service account deployer@shop-prod.iam.gserviceaccount.com" {
		t.Errorf("note: %+v", ms)
	}
}

func TestAzure(t *testing.T) {
	conn := "DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=" + fakeAzureKey + ";EndpointSuffix=core.windows.net"
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "storage connection string", key: "AZURE_STORAGE_CONNECTION_STRING", value: conn, want: []string{AzureStorageKey}, secrets: []string{fakeAzureKey}},
		{name: "service bus connection string", key: "", value: "Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=" + fakeSBKey,
			want: []string{AzureStorageKey}, secrets: []string{fakeSBKey}},
		{name: "key under its variable", key: "AZURE_STORAGE_KEY", value: fakeAzureKey, want: []string{AzureStorageKey}},
		{name: "placeholder key", key: "", value: "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=<your-account-key>"},
		{name: "variable", key: "", value: "AccountKey=${STORAGE_KEY};"},
		{name: "filler", key: "", value: "AccountKey=" + strings.Repeat("A", 86) + "=="},
	})
}

func TestProviderTokens(t *testing.T) {
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "GitHub personal token", key: "GITHUB_TOKEN", value: fakeGHP, want: []string{GitHubToken}, secrets: []string{fakeGHP}},
		{name: "GitHub OAuth token in a URL", key: "", value: "https://x-access-token:" + fakeGHS + "@github.com/org/repo.git",
			want: []string{GitHubToken}, secrets: []string{fakeGHS}},
		{name: "GitHub OAuth token", key: "", value: "token " + fakeGHO, want: []string{GitHubToken}},
		{name: "GitHub fine-grained token", key: "GH_PAT", value: fakeGHPat, want: []string{GitHubToken}},
		{name: "GitHub placeholder", key: "GITHUB_TOKEN", value: "ghp_" + strings.Repeat("x", 36)},
		{name: "GitHub too short", key: "", value: "ghp_" + fakeToken32[:20]},
		{name: "GitHub variable", key: "", value: "ghp_${TOKEN}"},
		{name: "GitLab token", key: "", value: "glpat-token=" + fakeGLPat, want: []string{GitLabToken}, secrets: []string{fakeGLPat}},
		{name: "GitLab placeholder", key: "GITLAB_TOKEN", value: "glpat-xxxxxxxxxxxxxxxxxxxx"},
		{name: "Slack bot token", key: "SLACK_BOT_TOKEN", value: fakeSlackBot, want: []string{SlackToken}, secrets: []string{fakeSlackBot}},
		{name: "Slack user token", key: "", value: `{"token": "` + fakeSlackUser + `"}`, want: []string{SlackToken}},
		{name: "Slack placeholder", key: "SLACK_TOKEN", value: "xoxb-your-token-here"},
		{name: "Slack webhook", key: "", value: "slack_api_url: https://hooks.slack.com/services/" + fakeWebhookID,
			want: []string{SlackWebhook}, secrets: []string{fakeWebhookID}},
		{name: "Slack webhook placeholder", key: "", value: "https://hooks.slack.com/services/XXXXXXXXX/XXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX"},
		{name: "Slack webhook template", key: "", value: "https://hooks.slack.com/services/{{ .Values.slack }}"},
		{name: "Stripe live key", key: "STRIPE_KEY", value: fakeStripe, want: []string{StripeKey}},
		{name: "Stripe restricted key", key: "", value: "stripe.api_key=" + fakeStripeRK, want: []string{StripeKey}, secrets: []string{fakeStripeRK}},
		// Test-mode keys are published in tutorials and cannot move money.
		{name: "Stripe test key", key: "STRIPE_KEY", value: "sk" + "_test_" + fakeToken32[:24]},
		{name: "Stripe placeholder", key: "", value: "sk" + "_live_xxxxxxxxxxxxxxxxxxxxxxxx"},
		// A specific detector wins over the keyword one.
		{name: "token under a password key", key: "DB_PASSWORD", value: fakeGHP, want: []string{GitHubToken}},
	})
}

func TestPrivateKeys(t *testing.T) {
	rsa := pem("RSA PRIVATE KEY", fakePEMBody)
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "RSA", key: "tls.key", value: rsa, want: []string{PrivateKey}, secrets: []string{strings.TrimSuffix(rsa, "\n")}},
		{name: "PKCS#8 in a file", key: "app.conf", value: "key = <<EOF\n" + pem("PRIVATE KEY", fakePEMBody) + "EOF\n", want: []string{PrivateKey}},
		{name: "EC", key: "", value: pem("EC PRIVATE KEY", fakePEMBody), want: []string{PrivateKey}},
		{name: "OpenSSH", key: "id_ed25519", value: opensshKey("none"), want: []string{PrivateKey}},
		{name: "JSON-escaped", key: "", value: `{"key":"-----BEGIN RSA PRIVATE KEY-----\n` + strings.ReplaceAll(fakePEMBody, "\n", `\n`) + `\n-----END RSA PRIVATE KEY-----"}`,
			want: []string{PrivateKey}},
		{name: "PKCS#8 encrypted", key: "", value: pem("ENCRYPTED PRIVATE KEY", fakePEMBody), want: []string{EncryptedPrivateKey}},
		{name: "legacy PEM encryption", key: "", value: pem("RSA PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"+rnd(hexLow, 32)+"\n\n"+fakePEMBody),
			want: []string{EncryptedPrivateKey}},
		{name: "OpenSSH with a cipher", key: "", value: opensshKey("aes256-ctr"), want: []string{EncryptedPrivateKey}},
		{name: "elided body", key: "", value: pem("RSA PRIVATE KEY", "MIIEpAIBAAKCAQEA...\n...")},
		{name: "placeholder body", key: "", value: pem("PRIVATE KEY", "<your private key>")},
		{name: "short body", key: "", value: pem("PRIVATE KEY", "MIIEpAIBAAKCAQEA")},
		{name: "no END line", key: "", value: "-----BEGIN RSA PRIVATE KEY-----\n" + fakePEMBody},
		{name: "public key", key: "", value: pem("PUBLIC KEY", fakePEMBody)},
		{name: "certificate", key: "", value: pem("CERTIFICATE", fakePEMBody)},
	})
}

func TestJWT(t *testing.T) {
	hs := jwt(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"billing","iat":1700000000}`, fakeJWTSig)
	sa := jwt(`{"alg":"RS256","kid":"k1"}`, `{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"shop"}`, fakeJWTSig)
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "signed token", key: "API_TOKEN", value: hs, want: []string{JWT}, secrets: []string{hs}},
		{name: "bearer header", key: "", value: "Authorization: Bearer " + hs, want: []string{JWT}},
		{name: "service account token", key: "token", value: sa, want: []string{JWT}},
		{name: "unsigned", key: "", value: jwt(`{"alg":"none"}`, `{"sub":"x"}`, fakeJWTSig)},
		{name: "header without alg", key: "", value: jwt(`{"typ":"JWT"}`, `{"sub":"x"}`, fakeJWTSig)},
		{name: "payload not JSON", key: "", value: jwt(`{"alg":"HS256"}`, `not json at all`, fakeJWTSig)},
		{name: "jwt.io example", key: "", value: jwt(`{"alg":"HS256","typ":"JWT"}`, `{"sub":"1234567890","name":"John Doe","iat":1516239022}`, knownExampleJWT)},
		{name: "test issuer", key: "", value: jwt(`{"alg":"RS256"}`, `{"iss":"testing@secure.istio.io","sub":"testing@secure.istio.io"}`, fakeJWTSig)},
	})
	if ms := Detect("token", sa); len(ms) != 1 || ms[0].Note != "Kubernetes service account token" {
		t.Errorf("service account note: %+v", ms)
	}
}

func TestURLCredentials(t *testing.T) {
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "database URL", key: "DATABASE_URL", value: "postgresql://app:Tr0ub4dor-3@db.shop:5432/app",
			want: []string{URLCredentials}, secrets: []string{"Tr0ub4dor-3"}},
		{name: "in a config file", key: "config.yaml", value: "database:\n  source: mongodb+srv://svc:Kx8!pQ2z@cluster0.example.net/db\n",
			want: []string{URLCredentials}},
		{name: "demo password counts", key: "", value: "amqp://guest:guest@rabbitmq:5672/", want: []string{URLCredentials}},
		{name: "shell variables", key: "", value: "postgresql://${db_user}:${db_password}@db:5432/x"},
		{name: "Kubernetes dependent variable", key: "", value: "postgresql://bn_mlflow:$(MLFLOW_DATABASE_PASSWORD)@db:5432/x"},
		{name: "names itself", key: "", value: "https://user:password@registry.local/"},
		{name: "names itself too", key: "", value: "https://myacct:pass@app.sysdigcloud.com"},
		{name: "demo password", key: "", value: "https://myacct:mypass@app.sysdigcloud.com", want: []string{URLCredentials}},
		{name: "no password", key: "", value: "https://user@host/path"},
		{name: "template", key: "", value: "redis://:{{ .Values.auth.password }}@redis:6379"},
		{name: "percent-encoded variable", key: "", value: "postgres://u:%24%7BPASSWORD%7D@db/x"},
	})
}

func TestDockerConfig(t *testing.T) {
	auth := b64s("deploy:" + fakeToken32[:20])
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "auth", key: ".dockerconfigjson", value: dockerConfig("ghcr.io", "auth", auth), want: []string{DockerConfigAuth}, secrets: []string{auth}},
		{name: "password field", key: "config.json", value: dockerConfig("registry.shop", "password", "Hunter2-registry"), want: []string{DockerConfigAuth}},
		{name: "escaped inside a JSON string", key: "", value: `{"data":"{\"auths\":{\"r.io\":{\"auth\":\"` + auth + `\"}}}"}`, want: []string{DockerConfigAuth}},
		{name: "auth with a variable password", key: "", value: dockerConfig("r.io", "auth", b64s("user:${REGISTRY_PASSWORD}"))},
		{name: "auth not base64", key: "", value: dockerConfig("r.io", "auth", "not-base64!")},
		{name: "no auths", key: "", value: `{"credHelpers":{"gcr.io":"gcloud"}}`},
		{name: "placeholder password", key: "", value: dockerConfig("r.io", "password", "<registry password>")},
	})
	if ms := Detect("", dockerConfig("ghcr.io", "auth", auth)); len(ms) != 1 || ms[0].Note != "registry ghcr.io" {
		t.Errorf("registry note: %+v", ms)
	}
}

func TestPasswords(t *testing.T) {
	runDetect(t, New(DefaultOptions()), []detectCase{
		// Demo passwords are hardcoded credentials.
		{name: "demo password", key: "DB_PASSWORD", value: "password123", want: []string{Password}},
		{name: "short demo password", key: "MYSQL_ROOT_PASSWORD", value: "c-krit", want: []string{Password}},
		{name: "camel case", key: "adminPassword", value: "S3cure!Pass", want: []string{Password}},
		{name: "run-together", key: "PGPASSWORD", value: "pg-Admin-2024", want: []string{Password}},
		{name: "flag", key: "", value: "--db-password=Zx8pLm2qRt", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "flag with a space", key: "", value: "mysqladmin --password 'Zx8pLm2qRt' ping", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "shell export", key: "", value: "set -e\nexport PGPASSWORD=Sup3rS3cret!\npsql -h db\n", want: []string{Password}, secrets: []string{"Sup3rS3cret!"}},
		{name: "properties file", key: "application.properties", value: "spring.datasource.url=jdbc:postgresql://db/x\nspring.datasource.password=h4rdc0ded-pw\n",
			want: []string{Password}, secrets: []string{"h4rdc0ded-pw"}},
		{name: "YAML file", key: "config.yaml", value: "db:\n  user: app\n  password: \"hunter2pass\"\n", want: []string{Password}, secrets: []string{"hunter2pass"}},
		{name: "JSON file", key: "", value: `{"db": {"password":"x9!kLm2p"}}`, want: []string{Password}, secrets: []string{"x9!kLm2p"}},
		{name: "secret key", key: "MINIO_SECRET_KEY", value: "minio123", want: []string{SharedSecret}},
		{name: "client secret", key: "OIDC_CLIENT_SECRET", value: "qP2x-Lm9z-Rt4w", want: []string{SharedSecret}},
		// Placeholders, references, paths and values that are not passwords.
		{name: "changeme", key: "DB_PASSWORD", value: "changeme"},
		{name: "angle brackets", key: "DB_PASSWORD", value: "<password>"},
		{name: "your-password-here", key: "DB_PASSWORD", value: "your-password-here"},
		{name: "REPLACE_ME", key: "DB_PASSWORD", value: "REPLACE_ME"},
		{name: "xxx", key: "DB_PASSWORD", value: "xxxxxxxx"},
		{name: "stars", key: "DB_PASSWORD", value: "********"},
		{name: "dummy", key: "DB_PASSWORD", value: "dummy-pass-1"},
		{name: "test value", key: "DB_PASSWORD", value: "testpass1"},
		{name: "example", key: "DB_PASSWORD", value: "example123"},
		{name: "shell variable", key: "DB_PASSWORD", value: "${DB_PASSWORD}"},
		{name: "dependent variable", key: "DB_PASSWORD", value: "$(DB_PASSWORD)"},
		{name: "plain $VAR", key: "DB_PASSWORD", value: "$DB_PASSWORD"},
		{name: "Helm template", key: "DB_PASSWORD", value: "{{ .Values.db.password }}"},
		{name: "printf verb", key: "DB_PASSWORD", value: "pw-%s-x"},
		{name: "file path", key: "DB_PASSWORD", value: "/etc/secret/db-password"},
		{name: "relative path", key: "DB_PASSWORD", value: "./secrets/pw.txt"},
		{name: "Vault reference", key: "DB_PASSWORD", value: "vault:secret/data/db#password"},
		{name: "Secrets Manager ARN", key: "DB_PASSWORD", value: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"},
		{name: "SSM reference", key: "DB_PASSWORD", value: "ssm:/shop/db/password"},
		{name: "vals reference", key: "DB_PASSWORD", value: "ref+vault://secret/db#/password"},
		{name: "SOPS", key: "DB_PASSWORD", value: "ENC[AES256_GCM,data:abcd,iv:efgh,tag:ijkl,type:str]"},
		{name: "boolean", key: "ALLOW_EMPTY_PASSWORD", value: "no"},
		{name: "true", key: "REQUIRE_PASSWORD", value: "true"},
		{name: "number", key: "DB_PASSWORD", value: "12345678"},
		{name: "empty", key: "DB_PASSWORD", value: ""},
		{name: "short", key: "DB_PASSWORD", value: "sst"},
		{name: "default admin password", key: "GF_SECURITY_ADMIN_PASSWORD", value: "admin", want: []string{Password}},
		{name: "expression", key: "cookie_secret", value: `get_secret_value("hub.cookie_secret")`},
		{name: "names itself", key: "MYSQL_PASSWORD", value: "password"},
		{name: "API_KEY", key: "API_KEY", value: "API_KEY"},
		{name: "demo password made of words", key: "MYSQL_ROOT_PASSWORD", value: "supersecret", want: []string{Password}},
		{name: "my-password", key: "MYSQL_PASSWORD", value: "my-password", want: []string{Password}},
		{name: "bcrypt hash", key: "admin.password", value: "$2a$10$" + fakeToken32[:22]},
		{name: "spaces", key: "DB_PASSWORD", value: "cat /run/secrets/pw"},
		{name: "password file", key: "PASSWORD_FILE", value: "db-password.txt"},
		{name: "minimum length", key: "password_min_length", value: "12abcdefgh"},
		{name: "reference key", key: "DB_PASSWORD_REF", value: "db-credentials-key1"},
		{name: "secret name", key: "secretName", value: "db-credentials-2"},
		{name: "secret object name", key: "SECRET", value: "postgres-credentials"},
		{name: "password in a YAML file is a template", key: "config.yaml", value: "password: {{ .Values.password }}\n"},
		{name: "unknown key", key: "DB_HOST", value: "Zx8pLm2qRt"},
		{name: "words joined", key: "pass", value: "secret_pw", want: []string{Password}},
		{name: "commented out", key: "config.yml", value: "auth:\n  # password: Zx8pLm2qRt\n  user: x\n"},
		{name: "commented out after code", key: "", value: "connect() # password=Zx8pLm2qRt\n"},
		{name: "function call", key: "config.py", value: "db_password = get_secret_value(\"hub.db.password\", None)\n"},
		{name: "Secret reference with namespace", key: "cert-manager.io/inject-ca-from-secret", value: "cert-manager/cert-manager-webhook-ca"},
		{name: "checksum annotation", key: "checksum/secret", value: rnd(hexLow, 64)},
		{name: "hashed password", key: "hashed_password", value: "pbkdf2:" + fakeToken32},
	})
}

func TestGenericTokens(t *testing.T) {
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "API token", key: "API_TOKEN", value: fakeToken32, want: []string{GenericToken}},
		{name: "api key camel case", key: "apiKey", value: fakeHex40, want: []string{GenericToken}},
		{name: "header name", key: "X-Api-Key", value: fakeToken32, want: []string{GenericToken}},
		{name: "in a .env file", key: ".env", value: "NODE_ENV=production\nSENDGRID_API_KEY=" + fakeToken32 + "\n", want: []string{GenericToken}},
		{name: "query parameter", key: "", value: "https://api.shop/v1?api_key=" + fakeToken32 + "&x=1", want: []string{GenericToken}},
		{name: "short", key: "API_TOKEN", value: fakeToken32[:10]},
		{name: "words", key: "API_KEY", value: "kubernetes-api-key-name"},
		{name: "URL", key: "TOKEN_URL", value: "https://auth.shop/oauth/token"},
		{name: "TTL", key: "tokenTTL", value: "86400s-abcdefghijkl"},
		{name: "key ID", key: "ACCESS_KEY_ID", value: fakeToken32},
		{name: "auth mode", key: "auth", value: "kubernetes"},
		{name: "low entropy", key: "API_TOKEN", value: "ab12ab12ab12ab12ab12"},
		{name: "UUID", key: "CONSUL_HTTP_TOKEN", value: "3f0c2f6e-1b7a-4c0e-9a55-7d2b8e4f1c3a", want: []string{GenericToken}},
		{name: "name with digits", key: "ETCD_INITIAL_CLUSTER_TOKEN", value: "etcd-cluster-k8s"},
		{name: "not quite a UUID", key: "ACCESS_KEY", value: "8312341g-5678-abcd-4a2b2c-33bcsd655"},
		{name: "option list", key: "ETCD_AUTH_TOKEN", value: "jwt,priv-key=/opt/etcd/jwt-token.pem,sign-method=RS256,ttl=10m"},
		{name: "checksum annotation", key: "checksum/credentials", value: rnd(hexLow, 64)},
	})
}

func TestThresholdsAndAllowList(t *testing.T) {
	opts := DefaultOptions()
	opts.Password.MinLength = 12
	opts.Token.MinEntropy = 5.5
	opts.Password.AllowValues = []*regexp.Regexp{regexp.MustCompile(`demo-.*`)}
	opts.Token.IgnoreKeys = []string{"*_SESSION_TOKEN"}
	runDetect(t, New(opts), []detectCase{
		{name: "below the raised length", key: "DB_PASSWORD", value: "password123"},
		{name: "above it", key: "DB_PASSWORD", value: "password1234", want: []string{Password}},
		{name: "allowed value", key: "DB_PASSWORD", value: "demo-password-1"},
		{name: "allow list matches whole values", key: "DB_PASSWORD", value: "my-demo-password-1", want: []string{Password}},
		{name: "below the raised entropy", key: "API_TOKEN", value: fakeToken32},
		{name: "ignored key", key: "X_SESSION_TOKEN", value: "Zx8pLm2qRt"},
		// Format detectors take no thresholds.
		{name: "format detectors unaffected", key: "DB_PASSWORD", value: fakeGHP, want: []string{GitHubToken}},
	})
}

func TestClassifyKey(t *testing.T) {
	for key, want := range map[string]keyClass{
		"DB_PASSWORD": passwordKey, "dbPassword": passwordKey, "PGPASSWORD": passwordKey, "db.pass": passwordKey,
		"--db-password": passwordKey, "PASSWORD_VALUE": passwordKey, "password2": passwordKey, "pwd": passwordKey,
		"MINIO_SECRET_KEY": secretKey, "clientSecret": secretKey, "SECRET_KEY_BASE": secretKey, "webhook-secret": secretKey,
		"API_KEY": tokenKey, "apiKey": tokenKey, "APIKey": tokenKey, "X-Api-Key": tokenKey, "GITHUB_TOKEN": tokenKey,
		"gitlabToken": tokenKey, "auth": tokenKey, "PRIVATE_KEY": tokenKey, "credentials": tokenKey, "accessKey": tokenKey,
		"PASSWORD_FILE": notCredential, "secretName": notCredential, "tokenTTL": notCredential,
		"password_min_length": notCredential, "SECRET_REF": notCredential, "ACCESS_KEY_ID": notCredential,
		"bypass": notCredential, "compass": notCredential, "keycloak": notCredential, "monkey": notCredential,
		"PASSWORD_ENCRYPTION": notCredential, "AUTH_TYPE": notCredential, "TOKEN_URL": notCredential,
		"checksum/secret": notCredential, "PASSWORD_HASH": notCredential, "hashed_password": notCredential,
		"author": notCredential, "key": notCredential, "sshKeyPath": notCredential, "": notCredential,
	} {
		if got := classifyKey(key); got != want {
			t.Errorf("classifyKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestMask(t *testing.T) {
	for _, tc := range []struct {
		secret string
		show   int
		want   string
	}{
		{fakeAWSID, 4, "AKIA****"},
		{fakeGHP, 4, "ghp_****"},
		{"Tr0ub4dor-3", 0, "****"},
		{"abcdefg", 4, "****"}, // too short to show a prefix
		{fakeGHP, 9, "ghp_****"},
	} {
		if got := mask(tc.secret, tc.show); got != tc.want {
			t.Errorf("mask(%q, %d) = %q, want %q", tc.secret, tc.show, got, tc.want)
		}
	}
}

func TestLineAndKey(t *testing.T) {
	ms := Detect("app.env", "A=1\nB=2\nAPI_TOKEN="+fakeToken32+"\n")
	if len(ms) != 1 || ms[0].Line != 3 || ms[0].Key != "API_TOKEN" {
		t.Fatalf("matches %+v, want one on line 3 under API_TOKEN", ms)
	}
	ms = Detect("API_TOKEN", fakeToken32)
	if len(ms) != 1 || ms[0].Line != 1 || ms[0].Key != "API_TOKEN" {
		t.Fatalf("matches %+v, want one on line 1 under API_TOKEN", ms)
	}
}

func TestDetectorsDocumented(t *testing.T) {
	ids := Detectors()
	for _, id := range []string{AWSAccessKeyID, AWSSecretAccessKey, GCPServiceAccountKey, AzureStorageKey, GitHubToken,
		GitLabToken, SlackToken, SlackWebhook, StripeKey, PrivateKey, EncryptedPrivateKey, JWT, URLCredentials,
		DockerConfigAuth, Password, SharedSecret, GenericToken, GoogleAPIKey, NPMToken, PyPIToken, OpenAIKey, AnthropicKey,
		VaultToken, SendGridKey, ShopifyToken, DigitalOceanToken, DockerHubToken, HuggingFaceToken} {
		if ids[id] == "" {
			t.Errorf("detector %s missing from the table", id)
		}
	}
	if len(ids) != 28 {
		t.Errorf("%d detectors, want 28", len(ids))
	}
}

// adversarialInputs are large values made of what the detectors look for: each must
// be scanned in time linear in its length. BenchmarkAdversarialInputs measures that at
// two sizes (docs/BENCHMARKS.md); the test only checks that each completes.
func adversarialInputs(n int) map[string]string {
	return map[string]string{
		"credential words":   strings.Repeat("passtokensecretkey", n/18),
		"assignments":        strings.Repeat("password=Zx8pLm2qRt\n", n/20),
		"assignments 1 line": strings.Repeat("password=Zx8pLm2qRt ", n/20),
		"one long value":     strings.Repeat("password=", n/9),
		"quoted values":      strings.Repeat(`"token":"`, n/9),
		"unclosed quotes":    strings.Repeat(`password="x `, n/12),
		"unclosed escapes":   strings.Repeat(`password:\"x `, n/13),
		"calls":              strings.Repeat("password=f", n/10) + "(",
		"indented line":      strings.Repeat(" ", n/2) + strings.Repeat("token ", n/12),
		"BEGIN lines":        strings.Repeat("-----BEGIN RSA PRIVATE KEY-----\n", n/32),
		"JWT prefixes":       strings.Repeat("eyJhbGciOiJIUzI1NiJ9.", n/21),
		"URL prefixes":       strings.Repeat("a://b:c@", n/8),
		"AWS IDs":            strings.Repeat(fakeAWSID+" ", n/21),
		"docker auths":       strings.Repeat(`{"auths":{"r":{"auth":"`+b64s("u:Zx8pLm2qRt")+`"}}}`, n/48),
		"single long token":  strings.Repeat("a", n),
		"shell commands":     strings.Repeat("mysql -uroot -pZx8pLm2qRt; ", n/27),
		"shell one command":  "curl" + strings.Repeat(" -u a:Zx8pLm2qRt", n/16),
		"shell quotes":       strings.Repeat(`mysql -p"x `, n/11),
		"npmrc scopes":       strings.Repeat("//r.io/:_authToken=x9 ", n/22),
		"placeholder shapes": strings.Repeat("password=${x:-<y>%s{{ ", n/23),
	}
}

func TestAdversarialInputs(t *testing.T) {
	for name, v := range adversarialInputs(1 << 16) {
		if (name == "docker auths" || name == "shell commands") && len(Detect("config", v)) == 0 {
			t.Errorf("%s: nothing found", name)
		}
	}
}

func BenchmarkAdversarialInputs(b *testing.B) {
	for _, n := range []int{1 << 16, 1 << 18} {
		for name, v := range adversarialInputs(n) {
			b.Run(fmt.Sprintf("%s/%dKiB", strings.ReplaceAll(name, " ", "_"), n>>10), func(b *testing.B) {
				b.SetBytes(int64(len(v)))
				for b.Loop() {
					Detect("config", v)
				}
			})
		}
	}
}

// TestCommentedOut checks the one-pass comment reader against the obvious
// per-offset one (which read back to the line start each time: the square of a long
// line's length when it held many credential words).
func TestCommentedOut(t *testing.T) {
	naive := func(s string, i int) bool {
		ls := strings.LastIndexByte(s[:i], '\n') + 1
		line := strings.TrimLeft(s[ls:i], " \t")
		for _, p := range []string{"#", "//", ";", "<!--"} {
			npmrc := p == "//" && len(line) >= 4 && strings.HasSuffix(line, "/:") && !strings.ContainsAny(line, " \t\r")
			if strings.HasPrefix(line, p) && !npmrc {
				return true
			}
		}
		return strings.Contains(line, " #")
	}
	for _, s := range []string{
		"password=x # token=y\n  # secret=z\n\t// key=a\n;pw=b\n<!-- pass=c -->\nkey=d #e\nfoo#bar=1",
		"   \n\t \n#\n # #\n#x\n  ;\n<!\n<!--\n a #b c",
		"//r.io/:_authToken=x\n  //r.io/a/:_auth=y //r/:z\n// c/:d\n//:/:_password=1 #\n///:a",
	} {
		for step := 1; step <= 3; step++ {
			l := lineState{s: s, first: -1}
			for i := 0; i <= len(s); i += step {
				if got, want := l.commented(i), naive(s, i); got != want {
					t.Errorf("%q at %d (step %d): %v, want %v", s, i, step, got, want)
				}
			}
		}
	}
}
