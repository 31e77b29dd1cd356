package keepconn_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// snippetImports are offered to every README snippet that is not a whole
// file: a snippet is compiled as the body of a function, as a reader would
// paste it, with these imports; only the import lines it does not use are
// forgiven.
var snippetImports = []string{
	"bufio", "context", "database/sql", "errors", "fmt", "io", "log", "log/slog",
	"net", "net/http", "net/netip", "os", "syscall", "time",
	"github.com/keepconn/keepconn",
	"github.com/keepconn/keepconn/dialer",
	"github.com/keepconn/keepconn/httpx",
	"github.com/keepconn/keepconn/pool",
	"github.com/keepconn/keepconn/sqlx",
	"github.com/keepconn/keepconn/sqlx/mysqldriver",
	"github.com/keepconn/keepconn/sqlx/pgxdriver",
	"github.com/keepconn/keepconn/sqlx/pqdriver",
	"github.com/keepconn/keepconn/redisx",
	"github.com/redis/go-redis/v9",
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
	"go.opentelemetry.io/otel",
	sdkmetric + " go.opentelemetry.io/otel/sdk/metric",
}

const sdkmetric = "sdkmetric"

var goBlock = regexp.MustCompile("(?s)```go\n(.*?)```")

// TestReadmeSnippetsCompile compiles every ```go block of README.md: a
// block with a package clause as the file it is, any other as the body of
// a function returning error, so a snippet pasted into a function of the
// reader's compiles as it stands.
func TestReadmeSnippetsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the README's snippets: not with -short")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlock.FindAllStringSubmatch(string(readme), -1)
	if len(blocks) == 0 {
		t.Fatal("README.md has no go snippets")
	}
	dir, err := os.MkdirTemp(".", ".readme-snippets-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var pkgs []string
	for i, b := range blocks {
		if missing := missingModule(b[1]); missing != "" {
			t.Logf("snippet s%02d imports %s, whose module this repository does not require: not compiled", i+1, missing)
			continue
		}
		sub := filepath.Join(dir, fmt.Sprintf("s%02d", i+1))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "snippet.go"), []byte(snippetFile(b[1])), 0o644); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(sub))
	}
	cmd := exec.Command("go", append([]string{"build", "-gcflags=-e", "-o", os.DevNull}, pkgs...)...)
	out, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || strings.HasPrefix(line, "#") || isUnusedImport(line) {
			continue
		}
		t.Errorf("README snippet: %s", line)
	}
	if t.Failed() {
		for i, b := range blocks {
			t.Logf("snippet s%02d:\n%s", i+1, b[1])
		}
	}
}

var importLine = regexp.MustCompile(`(?m)^\s*(?:\w+\s+)?"([^"]+)"\s*$`)

// missingModule returns an import of a whole-file snippet that no module
// of this build provides (a snippet that shows how to add an exporter), or "".
func missingModule(code string) string {
	if !regexp.MustCompile(`(?m)^package \w+`).MatchString(code) {
		return ""
	}
	for _, m := range importLine.FindAllStringSubmatch(code, -1) {
		path := m[1]
		if !strings.Contains(strings.Split(path, "/")[0], ".") {
			continue // the standard library
		}
		out, _ := exec.Command("go", "list", "-e", "-f", "{{if .Error}}missing{{end}}", path).Output()
		if strings.TrimSpace(string(out)) == "missing" {
			return path
		}
	}
	return ""
}

// isUnusedImport reports the compiler's complaint about an offered import
// the snippet does not use.
func isUnusedImport(line string) bool {
	return strings.Contains(line, "imported and not used") ||
		strings.Contains(line, "imported as") && strings.HasSuffix(line, "and not used")
}

// snippetFile turns a README block into a Go file.
func snippetFile(code string) string {
	if regexp.MustCompile(`(?m)^package \w+`).MatchString(code) {
		return code
	}
	var b strings.Builder
	b.WriteString("package snippet\n\nimport (\n")
	for _, imp := range snippetImports {
		if name, path, ok := strings.Cut(imp, " "); ok {
			fmt.Fprintf(&b, "\t%s %q\n", name, path)
		} else {
			fmt.Fprintf(&b, "\t%q\n", imp)
		}
	}
	b.WriteString(")\n\nfunc snippet(ctx context.Context) error {\n")
	b.WriteString(code)
	b.WriteString("\n\treturn nil\n}\n")
	return b.String()
}
