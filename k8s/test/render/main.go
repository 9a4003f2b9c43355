// render: the subset of `helm template` that meshsim's charts use, so the
// charts can be rendered and checked without Helm (which Debian lacks).
//
// Built in GOPATH mode from Debian's packages:
//   GO111MODULE=off GOPATH=/usr/share/gocode go build -o render k8s/test/render
//
// Usage:
//   render [-f values.yaml]... [--set k.k=v]... [--set-string k=v]...
//          [-n namespace] [--name release] [-o yaml|json|values] CHART_DIR
//   (-o values prints the merged values as JSON instead of rendering)
//   render --yaml2json FILE...   (parse YAML documents, print a JSON array)
//
// What it implements, as Helm 3 does:
//   - Chart.yaml, values.yaml, library-chart dependencies (charts/<name> or a
//     file:// repository), .Values .Release .Chart .Template .Capabilities .Files
//   - values: chart defaults, then -f files in order, then --set; maps merge
//     deeply and a null removes a key
//   - functions: sprig's, plus include, tpl, required, fail, toYaml, fromYaml,
//     toJson, fromJson, lookup (always empty, as in `helm template`)
//   - templates/_*.tpl only define; library charts render nothing themselves;
//     "<no value>" prints as ""; empty documents are dropped
//   - a values.schema.json is not checked here (k8s/test/validate.mjs does it).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v3"
)

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

type chart struct {
	dir      string
	meta     map[string]interface{}
	values   map[string]interface{}
	files    map[string]string // path relative to the chart dir -> content
	deps     []*chart
	library  bool
	fullName string // template path prefix, e.g. "frontend" or "frontend/charts/common"
}

func die(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "render: "+format+"\n", a...)
	os.Exit(1)
}

func readYAMLMap(file string) (map[string]interface{}, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	if m == nil {
		m = map[string]interface{}{}
	}
	return normalize(m).(map[string]interface{}), nil
}

// normalize turns yaml.v3's map[interface{}]interface{} (never produced for
// string keys, but be safe) into map[string]interface{} throughout.
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[interface{}]interface{}:
		m := map[string]interface{}{}
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	}
	return v
}

func loadChart(dir, parent string) *chart {
	c := &chart{dir: dir, files: map[string]string{}}
	var err error
	if c.meta, err = readYAMLMap(filepath.Join(dir, "Chart.yaml")); err != nil {
		die("%v", err)
	}
	name, _ := c.meta["name"].(string)
	if name == "" {
		die("%s/Chart.yaml: no name", dir)
	}
	if c.meta["apiVersion"] != "v2" {
		die("%s/Chart.yaml: apiVersion must be v2", dir)
	}
	c.library = c.meta["type"] == "library"
	c.fullName = name
	if parent != "" {
		c.fullName = parent + "/charts/" + name
	}
	if _, err := os.Stat(filepath.Join(dir, "values.yaml")); err == nil {
		if c.values, err = readYAMLMap(filepath.Join(dir, "values.yaml")); err != nil {
			die("%v", err)
		}
	} else {
		c.values = map[string]interface{}{}
	}
	// Every file of the chart, for .Files and for templates.
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if fi.IsDir() {
			if rel == "charts" {
				return filepath.SkipDir
			}
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			c.files[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	deps, _ := c.meta["dependencies"].([]interface{})
	for _, d := range deps {
		dm, _ := d.(map[string]interface{})
		dn, _ := dm["name"].(string)
		ddir := filepath.Join(dir, "charts", dn)
		if _, err := os.Stat(filepath.Join(ddir, "Chart.yaml")); err != nil {
			repo, _ := dm["repository"].(string)
			if !strings.HasPrefix(repo, "file://") {
				die("%s: dependency %s: only file:// repositories (or charts/%s) are supported", dir, dn, dn)
			}
			ddir = filepath.Join(dir, strings.TrimPrefix(repo, "file://"))
		}
		dc := loadChart(ddir, c.fullName)
		if dv, _ := dc.meta["version"].(string); dm["version"] != nil && fmt.Sprint(dm["version"]) != dv {
			die("%s: dependency %s wants version %v, found %s", dir, dn, dm["version"], dv)
		}
		c.deps = append(c.deps, dc)
	}
	return c
}

// merge copies src into dst deeply; a nil in src deletes the key (Helm's rule).
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		sm, sok := v.(map[string]interface{})
		dm, dok := dst[k].(map[string]interface{})
		if sok && dok {
			dst[k] = merge(dm, sm)
		} else {
			dst[k] = deepCopy(v)
		}
	}
	return dst
}

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []interface{}:
		l := make([]interface{}, len(t))
		for i, x := range t {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// parseSetValue types a --set value the way Helm's strvals does.
func parseSetValue(s string, asString bool) interface{} {
	if asString {
		return s
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil && (s == "0" || !strings.HasPrefix(s, "0")) {
		return i
	}
	return s
}

func applySet(vals map[string]interface{}, expr string, asString bool) {
	eq := strings.Index(expr, "=")
	if eq <= 0 {
		die("--set %q: want key=value", expr)
	}
	key, val := expr[:eq], expr[eq+1:]
	if strings.ContainsAny(key, "[]") {
		die("--set %q: list indexes are not supported", expr)
	}
	parts := strings.Split(key, ".")
	m := vals
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[p] = next
		}
		m = next
	}
	v := parseSetValue(val, asString)
	if v == nil {
		delete(m, parts[len(parts)-1])
	} else {
		m[parts[len(parts)-1]] = v
	}
}

func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	enc.Close()
	return strings.TrimSuffix(buf.String(), "\n")
}

func fromYAML(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return normalize(m).(map[string]interface{})
}

type files map[string]string

func (f files) Get(name string) string { return f[name] }
func (f files) GetBytes(name string) []byte { return []byte(f[name]) }

// Glob returns the matching files (path -> content), sorted by range.
func (f files) Glob(pattern string) files {
	out := files{}
	for k, v := range f {
		if ok, _ := path.Match(pattern, k); ok {
			out[k] = v
		}
	}
	return out
}

func collectTemplates(c *chart, out map[string]string, order *[]string, render bool) {
	var names []string
	for rel := range c.files {
		if strings.HasPrefix(rel, "templates/") {
			names = append(names, rel)
		}
	}
	sort.Strings(names)
	for _, rel := range names {
		full := c.fullName + "/" + rel
		out[full] = c.files[rel]
		base := path.Base(rel)
		if render && !c.library && !strings.HasPrefix(base, "_") && (strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".tpl")) {
			*order = append(*order, full)
		}
	}
	for _, d := range c.deps {
		collectTemplates(d, out, order, false)
	}
}

func main() {
	var valueFiles, sets, setStrings listFlag
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Var(&valueFiles, "values", "values file (repeatable)")
	flag.Var(&sets, "set", "key=value (repeatable)")
	flag.Var(&setStrings, "set-string", "key=value as a string (repeatable)")
	ns := flag.String("n", "default", "release namespace")
	flag.StringVar(ns, "namespace", "default", "release namespace")
	release := flag.String("name", "", "release name (default: chart name)")
	output := flag.String("o", "yaml", "output: yaml, json (objects) or values (merged values as JSON)")
	y2j := flag.Bool("yaml2json", false, "convert YAML files to a JSON array of {source, object}")
	flag.Parse()

	if *y2j {
		var out []interface{}
		for _, f := range flag.Args() {
			b, err := os.ReadFile(f)
			if err != nil {
				die("%v", err)
			}
			objs, err := splitDocs(string(b))
			if err != nil {
				die("%s: %v", f, err)
			}
			for _, o := range objs {
				out = append(out, map[string]interface{}{"source": f, "object": o})
			}
		}
		printJSON(out)
		return
	}
	if flag.NArg() != 1 {
		die("usage: render [-f values.yaml] [--set k=v] [-n ns] [--name release] [-o yaml|json] CHART_DIR")
	}
	c := loadChart(flag.Arg(0), "")
	if c.library {
		die("%s is a library chart; it cannot be rendered on its own", c.dir)
	}
	vals := deepCopy(c.values).(map[string]interface{})
	for _, f := range valueFiles {
		m, err := readYAMLMap(f)
		if err != nil {
			die("%v", err)
		}
		merge(vals, m)
	}
	for _, s := range sets {
		applySet(vals, s, false)
	}
	for _, s := range setStrings {
		applySet(vals, s, true)
	}
	if *output == "values" {
		printJSON(vals) // what Helm checks against values.schema.json
		return
	}
	relName := *release
	if relName == "" {
		relName, _ = c.meta["name"].(string)
	}

	sources := map[string]string{}
	var order []string
	collectTemplates(c, sources, &order, true)

	t := template.New("gotpl")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includedNames := map[string]int{}
	funcs["include"] = func(name string, data interface{}) (string, error) {
		if includedNames[name] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		includedNames[name]++
		defer func() { includedNames[name]-- }()
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := t.Clone()
		if err != nil {
			return "", err
		}
		nt, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := nt.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, fmt.Errorf("%s", msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["fail"] = func(msg string) (string, error) { return "", fmt.Errorf("%s", msg) }
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = func(v interface{}) string { b, _ := json.Marshal(v); return string(b) }
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	t.Funcs(funcs).Option("missingkey=zero")

	var names []string
	for n := range sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := t.New(n).Parse(sources[n]); err != nil {
			die("parse error: %v", err)
		}
	}

	chartObj := map[string]interface{}{}
	for k, v := range c.meta {
		chartObj[strings.ToUpper(k[:1])+k[1:]] = v
	}
	top := map[string]interface{}{
		"Values": vals,
		"Release": map[string]interface{}{
			"Name": relName, "Namespace": *ns, "Service": "Helm",
			"IsInstall": true, "IsUpgrade": false, "Revision": 1,
		},
		"Chart": chartObj,
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30", "GitVersion": "v1.30.0"},
			"APIVersions": []string{},
		},
		"Files": files(c.files),
	}

	var yamlOut strings.Builder
	var jsonOut []interface{}
	for _, n := range order {
		top["Template"] = map[string]interface{}{"Name": n, "BasePath": c.fullName + "/templates"}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, n, top); err != nil {
			die("%v", err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		objs, err := splitDocs(text)
		if err != nil {
			die("%s: rendered YAML does not parse: %v\n%s", n, err, text)
		}
		if len(objs) == 0 {
			continue
		}
		for _, doc := range splitRaw(text) {
			yamlOut.WriteString("---\n# Source: " + n + "\n" + doc + "\n")
		}
		for _, o := range objs {
			jsonOut = append(jsonOut, map[string]interface{}{"source": n, "object": o})
		}
	}
	if *output == "json" {
		printJSON(jsonOut)
	} else {
		fmt.Print(yamlOut.String())
	}
}

// splitRaw returns the non-empty YAML documents of text, as text.
func splitRaw(text string) []string {
	var docs []string
	for _, d := range strings.Split("\n"+text, "\n---") {
		trimmed := strings.TrimSpace(d)
		empty := true
		for _, line := range strings.Split(trimmed, "\n") {
			l := strings.TrimSpace(line)
			if l != "" && !strings.HasPrefix(l, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, strings.Trim(d, "\n"))
		}
	}
	return docs
}

// splitDocs parses every YAML document of text, dropping empty ones.
func splitDocs(text string) ([]interface{}, error) {
	dec := yaml.NewDecoder(strings.NewReader(text))
	var out []interface{}
	for {
		var v interface{}
		err := dec.Decode(&v)
		if err != nil {
			if err == io.EOF {
				break
			}
			return nil, err
		}
		if v == nil {
			continue
		}
		out = append(out, normalize(v))
	}
	return out, nil
}

func printJSON(v interface{}) {
	if v == nil {
		v = []interface{}{}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		die("json: %v", err)
	}
}
