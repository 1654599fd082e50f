package policy

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
)

// Formats accepted by Write.
var Formats = []string{"text", "json", "junit", "sarif", "github"}

// Tool names the program that wrote a report, for SARIF's tool.driver and
// automationDetails.
type Tool struct {
	Name    string // e.g. "platform check"
	Version string // e.g. the module version or commit
	// AutomationID is SARIF's runs[].automationDetails.id: code scanning
	// keeps one analysis per category (the part before the last "/").
	AutomationID string
}

// Write renders the report in one of Formats. rules describes the policies
// (for SARIF's rule table); tool names the writer (SARIF only).
func Write(w io.Writer, format string, rep *Report, rules []*Rule, tool Tool) error {
	switch format {
	case "text":
		return writeText(w, rep)
	case "json":
		return writeJSON(w, rep)
	case "junit":
		return writeJUnit(w, rep)
	case "sarif":
		return writeSARIF(w, rep, rules, tool)
	case "github":
		return writeGitHub(w, rep)
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

// JUnit in conftest's layout: one test suite per file, one test case per
// finding (so 13 denials are failures="13", not one per resource), and one
// passing test case per document without findings. Denials are failures,
// unreadable files errors, waived findings skipped, warnings pass with their
// message in system-out.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string       `xml:"name,attr"`
	Classname string       `xml:"classname,attr"`
	Failure   *junitResult `xml:"failure,omitempty"`
	Error     *junitResult `xml:"error,omitempty"`
	Skipped   *junitResult `xml:"skipped,omitempty"`
	SystemOut string       `xml:"system-out,omitempty"`
}

type junitResult struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func writeJUnit(w io.Writer, rep *Report) error {
	suites := map[string]*junitSuite{}
	suite := func(file string) *junitSuite {
		s, ok := suites[file]
		if !ok {
			s = &junitSuite{Name: file}
			suites[file] = s
		}
		return s
	}
	resName := func(r Resource) string { r.Container = ""; return r.String() }
	withFindings := map[string]bool{} // file + resource
	for _, f := range rep.Findings {
		withFindings[f.File+"\x00"+resName(f.Resource)] = true
		c := junitCase{Name: fmt.Sprintf("%s - %s - %s", resName(f.Resource), f.Rule, f.Message), Classname: f.File}
		text := fmt.Sprintf("%s:%d %s\n%s\nfix: %s", f.File, f.Line, f.Resource, f.Message, oneLine(f.Remediation))
		switch {
		case f.Blocking():
			c.Failure = &junitResult{Message: f.Rule + ": " + f.Message, Type: f.Rule, Text: text}
		case f.WaivedBy != nil:
			c.Skipped = &junitResult{Message: fmt.Sprintf("waived by an exception of %s until %s: %s", f.WaivedBy.Owner, f.WaivedBy.Expires, f.WaivedBy.Reason)}
		default:
			c.SystemOut = fmt.Sprintf("warning %s: %s\n", f.Rule, f.Message)
		}
		s := suite(f.File)
		s.Cases = append(s.Cases, c)
	}
	for _, d := range rep.Documents {
		name := resName(Resource{Kind: d.Kind, Namespace: d.Namespace, Name: d.Name})
		if withFindings[d.Path+"\x00"+name] {
			continue
		}
		s := suite(d.Path)
		s.Cases = append(s.Cases, junitCase{Name: name + " - passed", Classname: d.Path})
	}
	for _, ie := range rep.InputErrors {
		s := suite(ie.File)
		s.Cases = append(s.Cases, junitCase{Name: ie.File + " - input_error", Classname: ie.File,
			Error: &junitResult{Message: ie.Error(), Type: "input_error", Text: ie.Error()}})
	}
	files := make([]string, 0, len(suites))
	for f := range suites {
		files = append(files, f)
	}
	sort.Strings(files)
	out := junitSuites{Name: "platform check"}
	for _, file := range files {
		s := suites[file]
		s.Tests = len(s.Cases)
		for _, c := range s.Cases {
			switch {
			case c.Failure != nil:
				s.Failures++
			case c.Error != nil:
				s.Errors++
			case c.Skipped != nil:
				s.Skipped++
			}
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
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

// writeGitHub prints workflow commands (::error file=…,line=…,title=…::msg)
// that GitHub Actions turns into annotations on the line of the file in a
// pull request, then the text summary line. Denials are errors, warnings
// warnings, waived findings notices.
func writeGitHub(w io.Writer, rep *Report) error {
	var b strings.Builder
	for _, ie := range rep.InputErrors {
		b.WriteString(workflowCommand("error", ie.File, ie.Line, "input_error", ie.Msg))
	}
	for _, f := range rep.Findings {
		cmd := "warning"
		msg := fmt.Sprintf("%s: %s", f.Resource, f.Message)
		switch {
		case f.Blocking():
			cmd = "error"
			if f.Remediation != "" {
				msg += "\nfix: " + oneLine(f.Remediation)
			}
		case f.WaivedBy != nil:
			cmd = "notice"
			msg += fmt.Sprintf("\nwaived by an exception of %s until %s (%s)", f.WaivedBy.Owner, f.WaivedBy.Expires, f.WaivedBy.Pos)
		}
		b.WriteString(workflowCommand(cmd, f.File, f.Line, f.Rule, msg))
	}
	denied, warned, waived := rep.Counts()
	fmt.Fprintf(&b, "%d files, %d documents: %d denied, %d warnings, %d waived, %d unreadable files\n",
		len(rep.Files), len(rep.Documents), denied, warned, waived, len(rep.InputErrors))
	_, err := io.WriteString(w, b.String())
	return err
}

// workflowCommand formats one GitHub Actions workflow command. The runner
// decodes %25, %0D and %0A in the message, and also %3A and %2C in
// property values, so those are escaped: a message with a newline or a
// file name with a comma cannot end the command or forge another property.
func workflowCommand(cmd, file string, line int, title, msg string) string {
	props := "file=" + escapeProperty(filepath.ToSlash(file))
	if line > 0 {
		props += fmt.Sprintf(",line=%d", line)
	}
	props += ",title=" + escapeProperty(title)
	return fmt.Sprintf("::%s %s::%s\n", cmd, props, escapeData(msg))
}

var (
	dataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	propertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func escapeData(s string) string     { return dataEscaper.Replace(s) }
func escapeProperty(s string) string { return propertyEscaper.Replace(s) }

// SARIF 2.1.0, the subset code scanning reads: one run, the rules, results
// with a physical location (file and line).
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool        `json:"tool"`
	AutomationDetails *sarifAutomation `json:"automationDetails,omitempty"`
	Results           []sarifResult    `json:"results"`
}

type sarifAutomation struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
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

func writeSARIF(w io.Writer, rep *Report, rules []*Rule, tool Tool) error {
	if tool.Name == "" {
		tool.Name = "platform check"
	}
	run := sarifRun{Tool: sarifTool{Driver: sarifDriver{Name: tool.Name, Version: tool.Version}}, Results: []sarifResult{}}
	if tool.AutomationID != "" {
		run.AutomationDetails = &sarifAutomation{ID: tool.AutomationID}
	}
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
		l.PhysicalLocation.ArtifactLocation.URI = filepath.ToSlash(file)
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
