package promote

import (
	"fmt"
	"io"
	"strings"
)

// WriteBody writes the pull request description of a promotion (or of a
// release's bump of dev): which image each service moves to, from where,
// and how a reviewer checks the signature. The workflows append the
// rendered diff (`platform diff --format markdown`).
func WriteBody(w io.Writer, res *Result, to string) error {
	var b strings.Builder
	var moved, unchanged []Move
	for _, m := range res.Moves {
		if m.Changed() {
			moved = append(moved, m)
		} else {
			unchanged = append(unchanged, m)
		}
	}
	if len(res.Moves) > 0 && res.Moves[0].From == Released {
		fmt.Fprintf(&b, "## Release to %s\n\n", to)
	} else {
		fmt.Fprintf(&b, "## Promote to %s\n\n", to)
	}
	if len(moved) == 0 {
		b.WriteString("Nothing moves: every selected service already runs these images.\n")
	} else {
		b.WriteString("| Service | From | Image | Was |\n| --- | --- | --- | --- |\n")
		for _, m := range moved {
			fmt.Fprintf(&b, "| %s | %s | `%s` | `%s` |\n", m.Service, m.From, m.Tag, m.Previous)
		}
	}
	if len(unchanged) > 0 {
		names := make([]string, len(unchanged))
		for i, m := range unchanged {
			names[i] = m.Service
		}
		fmt.Fprintf(&b, "\nUnchanged: %s.\n", strings.Join(names, ", "))
	}
	var noDigest []string
	for _, m := range moved {
		if !strings.Contains(m.Tag, "@sha256:") {
			noDigest = append(noDigest, fmt.Sprintf("%s (`%s`)", m.Service, m.Tag))
		}
	}
	if len(noDigest) > 0 {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> No digest: %s. The policy gate (delivery.release_digest) refuses a staging or prod image that is not a released digest; release it first.\n",
			strings.Join(noDigest, ", "))
	}
	if len(moved) > 0 {
		b.WriteString("\nEach image was built once, pushed by digest and signed by release.yml (cosign, keyless). To check one:\n\n")
		b.WriteString("```sh\ncosign verify \"$REGISTRY/bloody-sweet/<service>@sha256:<digest>\" \\\n" +
			"  --certificate-identity-regexp '^https://github.com/bloody-sweet/platform/.github/workflows/release.yml@' \\\n" +
			"  --certificate-oidc-issuer https://token.actions.githubusercontent.com\n```\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
