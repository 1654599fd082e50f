#!/usr/bin/env bash
# Opens the pull request of a promotion or of a release's bump of dev, from
# the work tree `platform promote` left. Used by promote.yml and release.yml.
#
#   open-promotion-pr.sh BRANCH TITLE SUMMARY_FILE BODY_FILE ENV
#
# GH_TOKEN must be a GitHub App installation token (not GITHUB_TOKEN): a pull
# request opened with GITHUB_TOKEN does not trigger pr.yml, so the policy
# gate and the rendered diff would not run on it. REPO is owner/name.
set -euo pipefail
branch=$1 title=$2 summary=$3 body=$4 env=$5
: "${GH_TOKEN:?GH_TOKEN (the App token) is required}" "${REPO:?REPO is required}"

if git diff --quiet -- cue/config/images.cue environments/ apps/; then
	echo "nothing to change in $env"
	exit 0
fi
# git pushes with the App token through gh's credential helper: the token is
# never written into a URL or the repository's config.
gh auth setup-git
git config user.name "platform-promote[bot]"
git config user.email "platform-promote[bot]@users.noreply.github.com"
git switch -c "$branch"
git add cue/config/images.cue environments/ apps/
git commit -q -m "$title" -m "$(cat "$summary")"
git push -q origin "$branch"
{
	cat "$body"
	echo
	go run ./cmd/platform diff --base origin/main --env "$env" --format markdown
} >"$body.full"
gh pr create --repo "$REPO" --base main --head "$branch" --title "$title" --body-file "$body.full"
