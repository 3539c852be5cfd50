// Package guide embeds footnote's own user guide, the default corpus used
// when no articles are configured, so a fresh clone answers questions with
// no setup at all.
package guide

import "embed"

// FS holds the guide's Markdown articles under Root.
//
//go:embed articles/*.md
var FS embed.FS

// Root is the folder inside FS that holds the articles.
const Root = "articles"
