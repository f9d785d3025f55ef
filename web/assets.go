package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed static/*.css static/*.js static/*.svg
var static embed.FS

// asset is one embedded file served under a name that carries its content hash, so browsers may
// cache it forever and still see a new version the moment the binary changes.
type asset struct {
	body        []byte
	contentType string
}

// assets maps each embedded file's plain name to its hashed name, and hashed names to files.
var assets = hashAssets()

type assetTable struct {
	byHashedName map[string]asset
	hashedNames  map[string]string
}

func hashAssets() assetTable {
	t := assetTable{byHashedName: map[string]asset{}, hashedNames: map[string]string{}}
	files, err := fs.Glob(static, "static/*")
	if err != nil {
		panic(err) // only a malformed pattern fails, and the pattern is a constant
	}
	for _, file := range files {
		body, err := static.ReadFile(file)
		if err != nil {
			panic(err) // an embedded file always reads
		}
		sum := sha256.Sum256(body)
		name := path.Base(file)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		t.hashedNames[name] = hashed
		t.byHashedName[hashed] = asset{body: body, contentType: mime.TypeByExtension(ext)}
	}
	return t
}

// assetURL is the URL of the embedded file name under its content-hashed name.
func assetURL(name string) string {
	hashed, ok := assets.hashedNames[name]
	if !ok {
		panic("web: no embedded asset " + name)
	}
	return "/static/" + hashed
}

// Static serves the embedded assets by their hashed names.
func Static(c echo.Context) error {
	a, ok := assets.byHashedName[c.Param("file")]
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "no such asset")
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	return c.Blob(http.StatusOK, a.contentType, a.body)
}
