package policy

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Formats accepted by Write.
var Formats = []string{"text", "json", "junit", "sarif"}

// Write renders the report in one of Formats. rules describes the policies
// (for SARIF's rule table).
func Write(w io.Writer, format string, rep *Report, rules []*Rule) error {
	switch format {
	case "text":
		return writeText(w, rep)
	case "json":
		return writeJSON(w, rep)
	case "junit":
		return writeJUnit(w, rep)
	case "sarif":
		return writeSARIF(w, rep, rules)
	default:
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
}

// writeText groups findings by file, then resource, with rule id, message
// and remediation.
func writeText(w io.Writer, rep *Report) error {
	var b strings.Builder
	for _, ie := range rep.InputErrors {
		fmt.Fprintf(&b, "%s\n  error: %s\n\n", ie.File, ie.Error())
	}
	byFile := map[string][]Finding{}
	var files []string
	for _, f := range rep.Findings {
		if _, ok := byFile[f.File]; !ok {
			files = append(files, f.File)
		}
		byFile[f.File] = append(byFile[f.File], f)
	}
	for _, file := range files {
		b.WriteString(file)
		b.WriteString("\n")
		var lastRes string
		for _, f := range byFile[file] {
			res := f.Resource
			res.Container = ""
			header := res.String()
			if f.Line > 0 {
				header = fmt.Sprintf("%s (line %d)", header, f.Line)
			}
			if header != lastRes {
				fmt.Fprintf(&b, "  %s\n", header)
				lastRes = header
			}
			label := strings.ToUpper(f.Level)
			if f.WaivedBy != nil {
				label = "WAIVED"
			}
			fmt.Fprintf(&b, "    %-6s %s [%s]: %s\n", label, f.Rule, f.Severity, f.Message)
			if f.WaivedBy != nil {
				fmt.Fprintf(&b, "           exception by %s until %s (%s): %s\n", f.WaivedBy.Owner, f.WaivedBy.Expires, f.WaivedBy.Pos, f.WaivedBy.Reason)
			} else if f.Remediation != "" {
				fmt.Fprintf(&b, "           fix: %s\n", oneLine(f.Remediation))
			}
		}
		b.WriteString("\n")
	}
	denied, warned, waived := rep.Counts()
	fmt.Fprintf(&b, "%d files, %d documents: %d denied, %d warnings, %d waived, %d unreadable files\n",
		len(rep.Files), len(rep.Documents), denied, warned, waived, len(rep.InputErrors))
	_, err := io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type jsonReport struct {
	Summary struct {
		Files       int  `json:"files"`
		Documents   int  `json:"documents"`
		Denied      int  `json:"denied"`
		Warnings    int  `json:"warnings"`
		Waived      int  `json:"waived"`
		InputErrors int  `json:"input_errors"`
		Passed      bool `json:"passed"`
	} `json:"summary"`
	Findings    []Finding     `json:"findings"`
	InputErrors []*InputError `json:"input_errors"`
}

func writeJSON(w io.Writer, rep *Report) error {
	var out jsonReport
	out.Summary.Files = len(rep.Files)
	out.Summary.Documents = len(rep.Documents)
	out.Summary.Denied, out.Summary.Warnings, out.Summary.Waived = rep.Counts()
	out.Summary.InputErrors = len(rep.InputErrors)
	out.Summary.Passed = rep.ExitCode() == 0
	out.Findings = rep.Findings
	if out.Findings == nil {
		out.Findings = []Finding{}
	}
	out.InputErrors = rep.InputErrors
	if out.InputErrors == nil {
		out.InputErrors = []*InputError{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// JUnit: one test suite per file, one test case per document (resource);
// denials are failures, unreadable files are errors, warnings and waivers
// go to system-out.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failures  []junitResult `xml:"failure,omitempty"`
	Errors    []junitResult `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, rep *Report) error {
	type caseKey struct {
		file string
		res  string
	}
	cases := map[caseKey]*junitCase{}
	suites := map[string]*junitSuite{}
	var order []string
	suite := func(file string) *junitSuite {
		s, ok := suites[file]
		if !ok {
			s = &junitSuite{Name: file}
			suites[file] = s
			order = append(order, file)
		}
		return s
	}
	var caseOrder []caseKey
	getCase := func(file string, res Resource) *junitCase {
		res.Container = ""
		k := caseKey{file, res.String()}
		c, ok := cases[k]
		if !ok {
			suite(file)
			c = &junitCase{Name: k.res, Classname: file}
			cases[k] = c
			caseOrder = append(caseOrder, k)
		}
		return c
	}
	for _, d := range rep.Documents {
		getCase(d.Path, Resource{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name})
	}
	for _, f := range rep.Findings {
		c := getCase(f.File, f.Resource)
		text := fmt.Sprintf("%s:%d %s\n%s\nfix: %s", f.File, f.Line, f.Resource, f.Message, oneLine(f.Remediation))
		switch {
		case f.Blocking():
			c.Failures = append(c.Failures, junitResult{Message: f.Rule + ": " + f.Message, Type: f.Rule, Text: text})
		case f.WaivedBy != nil:
			c.SystemOut += fmt.Sprintf("waived %s: %s (exception by %s until %s)\n", f.Rule, f.Message, f.WaivedBy.Owner, f.WaivedBy.Expires)
		default:
			c.SystemOut += fmt.Sprintf("warning %s: %s\n", f.Rule, f.Message)
		}
	}
	for _, ie := range rep.InputErrors {
		c := getCase(ie.File, Resource{Kind: "File", Name: ie.File})
		c.Errors = append(c.Errors, junitResult{Message: ie.Error(), Type: "input_error", Text: ie.Error()})
	}
	out := junitSuites{Name: "platform check"}
	for _, k := range caseOrder {
		s := suites[k.file]
		c := cases[k]
		s.Cases = append(s.Cases, *c)
	}
	sort.Strings(order)
	for _, file := range order {
		s := suites[file]
		s.Tests = len(s.Cases)
		for _, c := range s.Cases {
			if len(c.Failures) > 0 {
				s.Failures++
			}
			if len(c.Errors) > 0 {
				s.Errors++
			}
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Suites = append(out.Suites, *s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// SARIF 2.1.0, the subset code scanning reads: one run, the rules, results
// with a physical location (file and line).
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration map[string]any `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID       string            `json:"ruleId"`
	RuleIndex    int               `json:"ruleIndex"`
	Level        string            `json:"level"`
	Message      sarifText         `json:"message"`
	Locations    []sarifLocation   `json:"locations"`
	Suppressions []sarifSuppressed `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation struct {
		ArtifactLocation struct {
			URI string `json:"uri"`
		} `json:"artifactLocation"`
		Region *struct {
			StartLine int `json:"startLine"`
		} `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifSuppressed struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

var securitySeverity = map[string]string{"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}

func writeSARIF(w io.Writer, rep *Report, rules []*Rule) error {
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: "platform check"}}, Results: []sarifResult{}}
	index := map[string]int{}
	addRule := func(r sarifRule) {
		index[r.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, r)
	}
	for _, r := range rules {
		addRule(sarifRule{
			ID:                   r.ID,
			ShortDescription:     sarifText{r.Title},
			FullDescription:      sarifText{r.Description},
			Help:                 sarifText{r.Remediation},
			DefaultConfiguration: map[string]any{"level": "error"},
			// security-severity is how code scanning ranks results.
			Properties: map[string]any{"severity": r.Severity, "security-severity": securitySeverity[r.Severity]},
		})
	}
	loc := func(file string, line int) sarifLocation {
		var l sarifLocation
		l.PhysicalLocation.ArtifactLocation.URI = file
		if line > 0 {
			l.PhysicalLocation.Region = &struct {
				StartLine int `json:"startLine"`
			}{line}
		}
		return l
	}
	for _, f := range rep.Findings {
		if _, ok := index[f.Rule]; !ok { // rules the gate reports itself (exceptions.*)
			addRule(sarifRule{ID: f.Rule, ShortDescription: sarifText{f.Title}, FullDescription: sarifText{f.Title},
				Help: sarifText{f.Remediation}, DefaultConfiguration: map[string]any{"level": "error"}})
		}
		level := "error"
		if f.Level == LevelWarn {
			level = "warning"
		}
		res := sarifResult{
			RuleID: f.Rule, RuleIndex: index[f.Rule], Level: level,
			Message:   sarifText{fmt.Sprintf("%s: %s", f.Resource, f.Message)},
			Locations: []sarifLocation{loc(f.File, f.Line)},
		}
		if f.WaivedBy != nil {
			res.Suppressions = []sarifSuppressed{{Kind: "external", Justification: fmt.Sprintf("%s (owner %s, until %s)", f.WaivedBy.Reason, f.WaivedBy.Owner, f.WaivedBy.Expires)}}
		}
		run.Results = append(run.Results, res)
	}
	if len(rep.InputErrors) > 0 {
		addRule(sarifRule{ID: "input_error", ShortDescription: sarifText{"A file could not be parsed"},
			FullDescription: sarifText{"A file given to platform check is not valid YAML or JSON."}, Help: sarifText{"Fix the syntax at the named line."},
			DefaultConfiguration: map[string]any{"level": "error"}})
		for _, ie := range rep.InputErrors {
			run.Results = append(run.Results, sarifResult{RuleID: "input_error", RuleIndex: index["input_error"], Level: "error",
				Message: sarifText{ie.Msg}, Locations: []sarifLocation{loc(ie.File, ie.Line)}})
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}
