package secrets

import "testing"

// TestShellCommands: passwords on the command lines of scripts inside command/args.
func TestShellCommands(t *testing.T) {
	runDetect(t, New(DefaultOptions()), []detectCase{
		{name: "mysqldump -p", key: "", value: "mysqldump -uroot -pS3cr3tPw9 shop > /backup/shop.sql", want: []string{Password}, secrets: []string{"S3cr3tPw9"}},
		{name: "mysql -p quoted", key: "", value: "set -e; mysql -h db -u app -p'Kx8!pQ2z' -e 'select 1'", want: []string{Password}, secrets: []string{"Kx8!pQ2z"}},
		{name: "mysqladmin after &&", key: "", value: "sleep 5 && mysqladmin ping -h127.0.0.1 -uroot -pZx8pLm2qRt", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "full path", key: "", value: "/usr/bin/mysql -uroot -pZx8pLm2qRt", want: []string{Password}},
		{name: "mysql --password=", key: "", value: "mysql --user=root --password=Zx8pLm2qRt db", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "mysql --password value", key: "", value: "mysql --password Zx8pLm2qRt db", want: []string{Password}},
		{name: "curl -u", key: "", value: "curl -fsS -u admin:Zx8pLm2qRt http://es:9200/_cluster/health", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "curl -u attached", key: "", value: "curl -uadmin:Zx8pLm2qRt http://es:9200/", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "curl --user", key: "", value: `curl --user "elastic:Kx8!pQ2z" https://es:9200`, want: []string{Password}, secrets: []string{"Kx8!pQ2z"}},
		{name: "curl --user=", key: "", value: "curl --user=elastic:Kx8-pQ2z https://es:9200", want: []string{Password}, secrets: []string{"Kx8-pQ2z"}},
		{name: "PGPASSWORD", key: "", value: "PGPASSWORD=Zx8pLm2qRt psql -h db -U app -c 'select 1'", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "MYSQL_PWD", key: "", value: "MYSQL_PWD=Zx8pLm2qRt mysql -uroot -e status", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "sshpass -p", key: "", value: "sshpass -p Zx8pLm2qRt ssh -p 2222 deploy@host uptime", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "sshpass -p attached", key: "", value: "sshpass -pZx8pLm2qRt scp a host:/b", want: []string{Password}},
		{name: "redis-cli -a", key: "", value: "redis-cli -h redis -a Zx8pLm2qRt --no-auth-warning ping", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "redis-cli --pass", key: "", value: "redis-cli --pass 'Zx8pLm2qRt' ping", want: []string{Password}},
		{name: "htpasswd -b", key: "", value: "htpasswd -bc /etc/nginx/.htpasswd admin Zx8pLm2qRt", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "htpasswd -nbB", key: "", value: "htpasswd -nbB -C 10 admin Zx8pLm2qRt > /auth/htpasswd", want: []string{Password}, secrets: []string{"Zx8pLm2qRt"}},
		{name: "in sh -c after newline", key: "", value: "set -e\nuntil mysqladmin ping -uroot -pZx8pLm2qRt; do sleep 1; done\n", want: []string{Password}},
		// Not passwords.
		{name: "docker -p port", key: "", value: "docker run -p 8080:80 -d nginx"},
		{name: "ssh -p port", key: "", value: "ssh -p 2222 deploy@host mysql-backup"},
		{name: "mysql -p prompts", key: "", value: "mysql -uroot -p -h db"},
		{name: "mysql -P port", key: "", value: "mysql -uroot -P3306 -h db"},
		{name: "variable", key: "", value: "mysqldump -uroot -p$MYSQL_ROOT_PASSWORD shop"},
		{name: "braced variable", key: "", value: `mysqldump -uroot -p"${MYSQL_ROOT_PASSWORD}" shop`},
		{name: "command substitution", key: "", value: `mysql -uroot -p"$(cat /run/secrets/db)" -e status`},
		{name: "curl user only", key: "", value: "curl -u admin http://es:9200"},
		{name: "curl variable", key: "", value: `curl -u "admin:$ES_PASSWORD" http://es:9200`},
		{name: "sshpass -e", key: "", value: "SSHPASS=$PW sshpass -e ssh host"},
		{name: "redis-cli variable", key: "", value: "redis-cli -a $REDIS_PASSWORD ping"},
		{name: "htpasswd without -b", key: "", value: "htpasswd -c /etc/nginx/.htpasswd admin"},
		{name: "htpasswd variable", key: "", value: `htpasswd -nb admin "$PASSWORD"`},
		{name: "word inside another", key: "", value: "mycurl -u admin:Zx8pLm2qRt"},
		{name: "placeholder", key: "", value: "mysqldump -uroot -p<password> shop"},
	})
	if ms := Detect("", "mysqldump -uroot -pS3cr3tPw9 shop"); len(ms) != 1 || ms[0].Key != "mysqldump -p" {
		t.Errorf("key: %+v", ms)
	}
	if ms := Detect("", "curl -u admin:Zx8pLm2qRt http://x"); len(ms) != 1 || ms[0].Key != "curl -u" {
		t.Errorf("key: %+v", ms)
	}
}

// TestDetectArgs: a command in exec form that runs a client program directly.
func TestDetectArgs(t *testing.T) {
	s := New(DefaultOptions())
	for _, tc := range []struct {
		name  string
		args  []string
		index int
		key   string
	}{
		{"mysqldump", []string{"mysqldump", "-uroot", "-pS3cr3tPw9", "shop"}, 2, "mysqldump -p"},
		{"curl with a path", []string{"/usr/bin/curl", "-fsS", "-u", "admin:Zx8pLm2qRt", "http://es:9200"}, 3, "curl -u"},
		{"sshpass", []string{"sshpass", "-p", "Zx8pLm2qRt", "ssh", "host"}, 2, "sshpass -p"},
		{"redis-cli", []string{"redis-cli", "-a", "Zx8pLm2qRt", "ping"}, 2, "redis-cli -a"},
		{"htpasswd", []string{"htpasswd", "-nbB", "admin", "Zx8pLm2qRt"}, 3, "htpasswd -b"},
		{"variable", []string{"mysql", "-uroot", "-p$(DB_PASSWORD)"}, -1, ""},
		{"port", []string{"docker", "run", "-p", "8080:80", "nginx"}, -1, ""},
		{"prompt", []string{"mysql", "-p", "shop"}, -1, ""},
		{"script", []string{"sh", "-c", "mysql -pS3cr3tPw9"}, -1, ""},
		{"alone", []string{"mysql"}, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := s.DetectArgs(tc.args)
			if tc.index < 0 {
				if len(ms) != 0 {
					t.Fatalf("DetectArgs(%q) = %+v, want nothing", tc.args, ms)
				}
				return
			}
			if len(ms) != 1 || ms[0].Index != tc.index || ms[0].Key != tc.key || ms[0].Detector != Password {
				t.Fatalf("DetectArgs(%q) = %+v, want a password in argument %d under %q", tc.args, ms, tc.index, tc.key)
			}
			a := tc.args[ms[0].Index]
			if got := a[ms[0].Offset : ms[0].Offset+ms[0].Length]; got != "S3cr3tPw9" && got != "Zx8pLm2qRt" {
				t.Errorf("located %q", got)
			}
			checkMasked(t, a, ms[0].Match)
		})
	}
}
