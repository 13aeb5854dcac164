package credentials

// A credential written into a manifest is readable by everyone who can read the
// repository, the chart, the CI logs that print rendered output, and, once applied,
// everyone who can get the object from the API: container environment values and
// arguments are part of the pod spec (get pods, get deployments, `kubectl describe`),
// ConfigMaps are not meant for secrets and are rarely protected by RBAC like
// Secrets, and annotations are read by every tool that lists objects. It cannot be
// rotated without editing the manifests, and it stays in version control history
// after it is removed. Credentials belong in Secrets (mounted as files) or in an
// external store, referenced from the manifest.
//
// These rules look for hardcoded credentials in:
//   - the environment values (env[].value), command, args and exec probe and
//     lifecycle commands of every init, regular and ephemeral container of every
//     workload kind (through the workload package, so configured CRDs count too),
//     and the annotations of pod templates;
//   - ConfigMap data: each value (a whole file, whose key=value, key: value and JSON
//     members are read with their own keys) and each key. binaryData is not read;
//   - configuration files beside the manifests (Helm values files, .env, .npmrc,
//     INI, properties): every string value under its key (see secrets_files.go);
//   - the values of Secret manifests (data base64-decoded, stringData) and the
//     template of a SealedSecret, by the format detectors only: a credential in a
//     Secret is reported by the rule of its format, while the keyword detectors are
//     left to PAL-522 and PAL-524, which report every plaintext Secret value;
//   - the annotations of every object, including kubectl's
//     last-applied-configuration, which is the JSON of the whole object as applied:
//     its string values are read with their keys, except values equal to the live
//     field they came from (those are reported there). A Secret's data is base64
//     text in it and is decoded first: a Secret applied with kubectl copies its data
//     into an annotation, which tools treat as harmless metadata.
//
// Helm charts and Kustomize overlays are rendered by the loader and read the same way.
// Protected forms are not findings: SOPS ciphertext (ENC[...] values), a
// SealedSecret's encryptedData and ExternalSecret references. In a SOPS-encrypted
// document, a credential left in plain text is PAL-527 instead of the rule of its
// format (see sops.go); how Secrets are kept and used is the subject of
// PAL-521..PAL-526.
//
// Each rule is one kind of credential, found by one detector of internal/secrets; the
// scan of an object runs once and every rule reads its share. Messages never show a
// secret: at most the first four characters of a format whose prefix is public
// (AKIA****, ghp_****), otherwise **** and the length.
//
// Severity: high for credentials that give access to a provider or a system as they
// are (cloud keys, source-control and chat tokens, live payment keys, private keys,
// registry credentials); medium where access is narrower or uncertain (a Slack
// webhook posts to one channel, an encrypted private key still needs its passphrase,
// a JWT may be expired or scoped) and for the keyword detectors, whose findings rest
// on a key name and an entropy threshold. Decisions, applied consistently: a literal
// demo password ("password123", "minio123") is a hardcoded credential and is
// reported; placeholders (changeme, <password>, ${VAR}, $(VAR), {{ .Values.x }},
// xxx, values containing example, dummy or test), references to secret stores and
// paths are not; Stripe test-mode keys and the documentation examples of providers
// (AKIAIOSFODNN7EXAMPLE) are not credentials and are not reported.

import (
	"github.com/palisade-k8s/palisade/internal/inventory"
	"github.com/palisade-k8s/palisade/internal/rules"
	"github.com/palisade-k8s/palisade/internal/secrets"
)

const (
	catHardcodedSecrets = "secrets"
	nsaHardcodedSecrets = "Network separation and hardening: secrets"

	refK8sSecretsPractice = "https://kubernetes.io/docs/concepts/security/secrets-good-practices/"
	refK8sSecretsFiles    = "https://kubernetes.io/docs/concepts/configuration/secret/#using-secrets-as-files-from-a-pod"
	refOWASPSecrets       = "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"

	// Rule IDs of the keyword detectors, whose parameters tune the scan of every
	// secrets rule.
	ruleHardcodedPassword = "PAL-515"
	ruleHighEntropySecret = "PAL-516"
)

// hardcodedSecretRule is the metadata of one secrets rule and the detectors it reports.
type hardcodedSecretRule struct {
	meta      rules.Meta
	detectors []string
}

const secretsRemediation = " Keep credentials out of manifests, charts and configuration files in plain text: reference a Secret created in the cluster (mounted as a file, or with secretKeyRef) or an external store (External Secrets Operator, Secrets Store CSI Driver), commit only encrypted forms (SOPS, Sealed Secrets), and purge the value from version control history."

func secretsFrameworks() rules.Frameworks {
	return rules.Frameworks{NSA: []string{nsaHardcodedSecrets}, Layer: "code"}
}

// genericParams are the parameters of the keyword detectors.
func genericParams(minLength, minEntropy, what string) []rules.Param {
	return []rules.Param{
		{Name: "minLength", Syntax: rules.Integer, Description: "Shortest " + what + " reported, in characters.", Default: minLength},
		{Name: "minEntropy", Syntax: rules.Number, Description: "Lowest Shannon entropy of a " + what + ", in bits per character (a random 16-character alphanumeric token has about 3.7; \"aaaaaaaa\" has 0).", Default: minEntropy},
		{Name: "allowValues", Syntax: rules.Regexp, Description: "Values never reported (regular expressions matching the whole value), for known non-secrets such as a public demo value.", Default: []string{}},
		{Name: "ignoreKeys", Syntax: rules.Glob, Description: "Key names (shell patterns, case-insensitive) never treated as naming a credential.", Default: []string{}},
	}
}

var hardcodedSecretRules = []hardcodedSecretRule{
	{detectors: []string{secrets.AWSAccessKeyID}, meta: rules.Meta{
		ID: "PAL-501", Title: "Hardcoded AWS access key ID", Severity: high,
		Rationale:   "An AWS access key ID (AKIA... for an IAM user's long-term key, ASIA... for a temporary STS key) is half of an AWS credential; it is committed together with its secret access key, and alone it names the account and user. The documentation examples of AWS (AKIAIOSFODNN7EXAMPLE) are not reported.",
		Remediation: "Deactivate and delete the access key in IAM, then give the workload an identity instead of a key: IAM Roles for Service Accounts (EKS Pod Identity) or a credential mounted from a Secret." + secretsRemediation,
		References:  []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html", "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.AWSSecretAccessKey}, meta: rules.Meta{
		ID: "PAL-502", Title: "Hardcoded AWS secret access key", Severity: high,
		Rationale:   "An AWS secret access key signs API requests as its IAM user: whoever reads it has that user's permissions until the key is deleted. It is recognised as 40 base64 characters under a key that names an AWS secret key (AWS_SECRET_ACCESS_KEY, aws_secret_access_key in a credentials file, SecretAccessKey) or next to an access key ID.",
		Remediation: "Deactivate and delete the access key in IAM and review CloudTrail for its use; give the workload an IAM role (IRSA, EKS Pod Identity) instead of a key." + secretsRemediation,
		References:  []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html", "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.GCPServiceAccountKey}, meta: rules.Meta{
		ID: "PAL-503", Title: "Hardcoded Google Cloud service account key", Severity: high,
		Rationale:   "A service account key file (JSON with \"type\": \"service_account\" and a private key) authenticates as the service account, from anywhere, until the key is deleted; Google recommends against creating such keys at all.",
		Remediation: "Delete the key in IAM and use Workload Identity Federation for GKE (or for other clusters) instead of a key file." + secretsRemediation,
		References:  []string{"https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys", "https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.AzureStorageKey}, meta: rules.Meta{
		ID: "PAL-504", Title: "Hardcoded Azure storage account key or connection string", Severity: high,
		Rationale:   "An Azure storage account key (AccountKey=... in a connection string, or under a key naming it) gives full access to every container, queue and table of the account; Service Bus and Event Hubs shared access keys (SharedAccessKey=...) give what their policy grants.",
		Remediation: "Rotate the key in the storage account (or the shared access policy) and authenticate with Microsoft Entra Workload ID instead of account keys." + secretsRemediation,
		References:  []string{"https://learn.microsoft.com/en-us/azure/storage/common/storage-account-keys-manage", "https://learn.microsoft.com/en-us/azure/aks/workload-identity-overview", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.GitHubToken}, meta: rules.Meta{
		ID: "PAL-505", Title: "Hardcoded GitHub token", Severity: high,
		Rationale:   "GitHub tokens (ghp_ personal, gho_ OAuth, ghu_/ghs_ app, ghr_ refresh, github_pat_ fine-grained) act as their user or app on GitHub: reading private repositories, pushing code, changing workflows. The last 6 characters of a 40-character token are a checksum of the 30 before them; strings of the format without a valid checksum (fixtures, generated test values) are not reported.",
		Remediation: "Revoke the token on GitHub; give the workload a GitHub App installation token fetched at run time or a token from a Secret." + secretsRemediation,
		References:  []string{"https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.GitLabToken}, meta: rules.Meta{
		ID: "PAL-506", Title: "Hardcoded GitLab token", Severity: high,
		Rationale:   "GitLab tokens (glpat- access, gldt- deploy, glrt- runner, glptt- trigger, glft- feed, gloas- OAuth application, glcbt- job tokens) act on the GitLab instance with their scopes: repositories, registries, pipelines.",
		Remediation: "Revoke the token in GitLab and give the workload a token from a Secret or an external store." + secretsRemediation,
		References:  []string{"https://docs.gitlab.com/security/tokens/", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.SlackToken}, meta: rules.Meta{
		ID: "PAL-507", Title: "Hardcoded Slack token", Severity: high,
		Rationale:   "Slack bot, user, app and session tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-) read and post messages and files of the workspace with their scopes; user tokens act as a person.",
		Remediation: "Revoke the token in the Slack app settings (or rotate it) and give the workload a token from a Secret." + secretsRemediation,
		References:  []string{"https://api.slack.com/authentication/token-types", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.SlackWebhook}, meta: rules.Meta{
		ID: "PAL-508", Title: "Hardcoded Slack webhook URL", Severity: medium,
		Rationale:   "Anyone with an incoming webhook URL can post to its channel as the app, for phishing or alert spoofing; it grants nothing else, hence medium.",
		Remediation: "Regenerate the webhook in the Slack app settings and read the URL from a Secret (Alertmanager: slack_api_url_file)." + secretsRemediation,
		References:  []string{"https://api.slack.com/messaging/webhooks", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.StripeKey}, meta: rules.Meta{
		ID: "PAL-509", Title: "Hardcoded Stripe live secret key", Severity: high,
		Rationale:   "A Stripe live secret (sk_live_) or restricted (rk_live_) key acts on the live account: charges, refunds, payouts and customer data. Test-mode keys (sk_test_) cannot move money and are published in tutorials; they are not reported.",
		Remediation: "Roll the key in the Stripe dashboard and give the workload a key from a Secret." + secretsRemediation,
		References:  []string{"https://docs.stripe.com/keys", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.PrivateKey}, meta: rules.Meta{
		ID: "PAL-510", Title: "Hardcoded private key", Severity: high,
		Rationale:   "An unencrypted private key (PEM RSA, EC, DSA, PKCS#8, OpenSSH or PGP) lets whoever reads it impersonate its owner: a TLS server, an SSH identity, a signing key. Keys with an elided or templated body are not reported.",
		Remediation: "Revoke the certificate or remove the public key wherever it is trusted, generate a new key, and mount it from a Secret of type kubernetes.io/tls or kubernetes.io/ssh-auth (or issue it with cert-manager)." + secretsRemediation,
		References:  []string{refK8sSecretsFiles, "https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.EncryptedPrivateKey}, meta: rules.Meta{
		ID: "PAL-511", Title: "Hardcoded encrypted private key", Severity: medium,
		Rationale:   "An encrypted private key (ENCRYPTED PRIVATE KEY, Proc-Type: 4,ENCRYPTED, or an OpenSSH key with a cipher) needs its passphrase, which is often next to it; a weak passphrase falls to an offline attack. Medium, since the key alone does not grant access.",
		Remediation: "Treat the key as exposed if the passphrase may be too: replace it. Mount keys from a Secret rather than writing them into manifests." + secretsRemediation,
		References:  []string{refK8sSecretsFiles, refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.JWT}, meta: rules.Meta{
		ID: "PAL-512", Title: "Hardcoded JSON Web Token", Severity: medium,
		Rationale:   "A signed JWT is a bearer token: whoever holds it is authenticated as its subject until it expires, which for service account and API tokens may be never. Medium because its scope and lifetime vary; a Kubernetes service account token is named as such in the message. Not reported: unsigned tokens (alg none), the jwt.io example (its signature, or its payload: sub 1234567890, name John Doe), published demo tokens (Istio's testing@secure.istio.io) and tokens whose issuer, subject, audience or e-mail is at a documentation domain (example.com, example.org, example.net, as whole host names). A claim that merely contains \"test\" or \"example\", or a short subject, does not make a token an example.",
		Remediation: "Revoke the token (for a Kubernetes service account token, delete its Secret or the account) and let the workload obtain short-lived tokens at run time (projected service account tokens)." + secretsRemediation,
		References:  []string{"https://datatracker.ietf.org/doc/html/rfc7519", "https://kubernetes.io/docs/concepts/security/service-accounts/#get-a-token", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.URLCredentials}, meta: rules.Meta{
		ID: "PAL-513", Title: "Password in a URL", Severity: medium,
		Rationale:   "A connection URL with a literal password (postgresql://user:password@host, or without a user name: redis://:password@host) hands the database or broker to whoever reads it, and URLs are logged far more freely than secrets. Passwords that are variables (${VAR}, $(VAR) expanded by Kubernetes from another environment variable) or placeholders are not reported.",
		Remediation: "Take the password out of the URL: pass it in its own variable from a Secret (secretKeyRef) and compose the URL with $(VAR) expansion, or store the whole URL in a Secret." + secretsRemediation,
		References:  []string{"https://kubernetes.io/docs/tasks/inject-data-application/define-interdependent-environment-variables/", refK8sSecretsPractice, refOWASPSecrets},
	}},
	{detectors: []string{secrets.DockerConfigAuth}, meta: rules.Meta{
		ID: "PAL-514", Title: "Hardcoded container registry credentials", Severity: high,
		Rationale:   "A Docker config (auths with an auth of user:password in base64, a password or an identity token) logs in to its registry: pulling private images, and often pushing them, which poisons every cluster that pulls from it.",
		Remediation: "Rotate the registry password or token and keep the config in a Secret of type kubernetes.io/dockerconfigjson referenced by imagePullSecrets (or use the node's or workload's cloud identity for the registry)." + secretsRemediation,
		References:  []string{"https://kubernetes.io/docs/tasks/configure-pod-container/pull-image-private-registry/", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.GoogleAPIKey}, meta: rules.Meta{
		ID: "PAL-517", Title: "Hardcoded Google API key", Severity: high,
		Rationale:   "A Google API key (AIza followed by 35 characters) is billed to its project and calls every API the project enables that accepts keys: Maps, Places, YouTube, Gemini, Firebase. Keys shipped in a web page or an app are meant to be restricted to referrers or apps; a key in a manifest or a config file is usually an unrestricted server key. Placeholders (AIzaXXXX...) are not reported.",
		Remediation: "Delete or regenerate the key in the Google Cloud console (APIs & Services > Credentials), add API and application restrictions to its replacement, and give the workload the key from a Secret; for Google Cloud APIs prefer Workload Identity to keys." + secretsRemediation,
		References:  []string{"https://cloud.google.com/docs/authentication/api-keys", "https://cloud.google.com/docs/authentication/api-keys-best-practices", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.NPMToken}, meta: rules.Meta{
		ID: "PAL-518", Title: "Hardcoded npm access token", Severity: high,
		Rationale:   "An npm access token (npm_ and 36 characters, in an .npmrc as //registry.npmjs.org/:_authToken=..., or in NPM_TOKEN) reads private packages and, for publish tokens, publishes new versions of every package its owner maintains: a supply-chain compromise of everyone who installs them. The token's last 6 characters are a checksum of the 30 before them; strings of the format without a valid checksum are not reported.",
		Remediation: "Revoke the token on npmjs.com (Access Tokens) or with npm token revoke, and give the build a granular token with the least scope from a Secret; publish from CI with trusted publishing (OIDC) instead of a long-lived token." + secretsRemediation,
		References:  []string{"https://docs.npmjs.com/about-access-tokens", "https://docs.npmjs.com/revoking-access-tokens", "https://docs.npmjs.com/trusted-publishers", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.PyPIToken}, meta: rules.Meta{
		ID: "PAL-519", Title: "Hardcoded PyPI API token", Severity: high,
		Rationale:   "A PyPI API token (pypi- and a macaroon whose location is pypi.org, often in a .pypirc or TWINE_PASSWORD) uploads new releases of the projects it is scoped to, or of every project of its owner: a supply-chain compromise of everyone who installs them. TestPyPI tokens are reported too, named as such. Only tokens whose body decodes to a macaroon are reported.",
		Remediation: "Remove the token in the PyPI account settings (API tokens), and publish from CI with trusted publishing (OIDC) or a project-scoped token from a Secret." + secretsRemediation,
		References:  []string{"https://pypi.org/help/#apitoken", "https://docs.pypi.org/trusted-publishers/", refK8sSecretsPractice},
	}},
	{detectors: secrets.ProviderDetectors(), meta: rules.Meta{
		ID: "PAL-520", Title: "Hardcoded API token of a known provider", Severity: high,
		Rationale:   "Tokens whose format names their provider act on that provider's account as they are: OpenAI (sk-proj-, sk-svcacct-, sk-admin-, older sk- keys, all with T3BlbkFJ inside) and Anthropic (sk-ant-api03-, sk-ant-admin01-) API keys run up bills and read prompts and files; HashiCorp Vault tokens (hvs., hvb.) read the secrets their policies allow; SendGrid API keys (SG.x.y) send mail as the company; Shopify tokens (shpat_, shpca_, shppa_, shpss_) read and change stores and their customers; DigitalOcean tokens (dop_v1_, doo_v1_, dor_v1_) manage the cloud account; Docker Hub personal access tokens (dckr_pat_) push images; Hugging Face tokens (hf_) read private models and datasets and, with write scope, change them. The message names the provider. Each format is matched exactly (prefix, length, alphabet); placeholders and strings inside longer runs are not reported.",
		Remediation: "Revoke the token in the provider's console and give the workload a new one from a Secret or an external store; for Vault, use the Kubernetes auth method so that pods log in with their service account instead of a token." + secretsRemediation,
		References:  []string{"https://help.openai.com/en/articles/5112595-best-practices-for-api-key-safety", "https://developer.hashicorp.com/vault/docs/concepts/tokens", "https://developer.hashicorp.com/vault/docs/auth/kubernetes", "https://docs.docker.com/security/for-developers/access-tokens/", refK8sSecretsPractice},
	}},
	{detectors: []string{secrets.Password, secrets.SharedSecret}, meta: rules.Meta{
		ID: ruleHardcodedPassword, Title: "Hardcoded password or shared secret", Severity: medium,
		Rationale:   "A literal value under a key that names a password or a shared secret (DB_PASSWORD, spring.datasource.password, MINIO_SECRET_KEY, clientSecret; the credential word must end the key, so PASSWORD_FILE or secretName do not count) is a credential in plain text. Demo passwords such as \"password123\" are reported: the service runs with them. Passwords on the command lines of scripts in command and args are reported under the flag or variable that passes them (mysqldump -pPASS, curl -u user:pass, PGPASSWORD=... psql, MYSQL_PWD=..., sshpass -p, redis-cli -a, htpasswd -b), unless the shell expands them ($VAR, \"$(cat /run/secrets/x)\"). Not reported: placeholders, told by the shape of the whole value rather than by one character (changeme, <password>, your-password-here, REPLACE_ME, xxxx or *** runs making up the value, words such as example, dummy or test where a word starts), variables and templates (${VAR}, $(VAR), $VAR, {{ .Values.x }}, %s, %(name)s), references to secret stores (vault:, arn:aws:..., ssm:, ref+...), file paths, YAML tags and aliases, booleans, numbers, password hashes ($2y$..., {SSHA}...), values that only name the credential (\"password\", \"API_KEY\") and, under secret-like keys, lower-case names that look like a Secret object's name. Thresholds are parameters; medium because the judgement rests on the key name.",
		Remediation: "Change the password where it is used, then have the workload read it from a file mounted from a Secret (many images accept a *_FILE variable) or from secretKeyRef." + secretsRemediation,
		References:  []string{"https://kubernetes.io/docs/tasks/inject-data-application/distribute-credentials-secure/", refK8sSecretsPractice, refOWASPSecrets},
		Params:      genericParams("5", "2.0", "password or secret"),
	}},
	{detectors: []string{secrets.GenericToken}, meta: rules.Meta{
		ID: ruleHighEntropySecret, Title: "High-entropy secret under a credential-named key", Severity: medium,
		Rationale:   "A long, random-looking value under a key that names a token or key (API_TOKEN, apiKey, X-Api-Key, PRIVATE_KEY, credentials, auth; the word must end the key, so TOKEN_URL or ACCESS_KEY_ID do not count) is almost always a generated credential of a service no specific rule knows. The value must reach the length and Shannon-entropy thresholds (parameters), mix letters with digits, symbols or both cases, and be no placeholder, reference or path. Medium because the judgement rests on the key name and a threshold.",
		Remediation: "Revoke the token with its issuer and issue a new one to the workload through a Secret." + secretsRemediation,
		References:  []string{refK8sSecretsPractice, refOWASPSecrets},
		Params:      genericParams("16", "3.0", "token"),
	}},
}

// hardcodedSecretKinds are the kinds whose bodies the secrets rules read (every
// object's annotations are read too): configuration files are not objects of any
// kind and must be named.
var hardcodedSecretKinds = []string{"ConfigMap", "Secret", "SealedSecret", inventory.ConfigFileKind, rules.AnyKind}

// ruleOfDetector maps a detector ID to the rule that reports it.
var ruleOfDetector = map[string]string{}

func init() {
	for i := range hardcodedSecretRules {
		hr := &hardcodedSecretRules[i]
		meta := hr.meta
		meta.Category = catHardcodedSecrets
		meta.Frameworks = secretsFrameworks()
		for _, d := range hr.detectors {
			ruleOfDetector[d] = meta.ID
		}
		rules.Register(&rules.Rule{
			Meta:     meta,
			Kinds:    hardcodedSecretKinds,
			Workload: reportWorkloadSecrets,
			Object:   reportObjectSecrets,
			// A git history's files are read for them too (--git-history).
			Targets: rules.Scan | rules.Admission | rules.History,
		})
	}
}
