package schemacheck

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ManifestName is the file that, in a directory, says which schema file is which subject.
const ManifestName = "eventlens.yaml"

// File is one local schema file and the subject it belongs to.
type File struct {
	Path       string      `yaml:"file"` // as given, or relative to the manifest's directory
	Subject    string      `yaml:"subject"`
	SchemaType string      `yaml:"schemaType"` // AVRO, JSON or PROTOBUF
	References []Reference `yaml:"references"`
	Level      string      `yaml:"level"` // optional compatibility level for this subject
	Text       string      `yaml:"-"`
}

// Reference is a schema reference as the registry takes it.
type Reference struct {
	Name    string `yaml:"name" json:"name"`
	Subject string `yaml:"subject" json:"subject"`
	Version int    `yaml:"version" json:"version"`
}

// manifest is the eventlens.yaml file.
type manifest struct {
	Schemas []File `yaml:"schemas"`
}

// typesByExtension maps a file extension to the schema type it holds, for files without a manifest.
var typesByExtension = map[string]string{".avsc": "AVRO", ".json": "JSON", ".proto": "PROTOBUF"}

// Collect reads the schema files named by args. A directory holding eventlens.yaml is read through
// it; any other directory is walked for .avsc, .json and .proto files; a file is taken as it is.
// Without a manifest a file's subject is its name without the extension (TopicNameStrategy:
// orders-value.avsc is subject orders-value).
func Collect(args []string) ([]File, error) {
	var files []File
	for _, arg := range args {
		found, err := collect(arg)
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
	}
	seen := map[string]string{}
	for _, f := range files {
		if prev, ok := seen[f.Subject]; ok {
			return nil, fmt.Errorf("subject %s comes from both %s and %s", f.Subject, prev, f.Path)
		}
		seen[f.Subject] = f.Path
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Subject < files[j].Subject })
	return files, nil
}

func collect(arg string) ([]File, error) {
	info, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		if filepath.Base(arg) == ManifestName {
			return readManifest(arg)
		}
		f, err := fileByName(arg)
		if err != nil {
			return nil, err
		}
		return []File{f}, nil
	}
	if _, err := os.Stat(filepath.Join(arg, ManifestName)); err == nil {
		return readManifest(filepath.Join(arg, ManifestName))
	}
	var files []File
	err = filepath.WalkDir(arg, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || typesByExtension[filepath.Ext(path)] == "" {
			return nil
		}
		f, err := fileByName(path)
		files = append(files, f)
		return err
	})
	return files, err
}

func fileByName(path string) (File, error) {
	ext := filepath.Ext(path)
	typ := typesByExtension[ext]
	if typ == "" {
		return File{}, fmt.Errorf("%s: cannot tell the schema type from the extension %q (want .avsc, .json or .proto, or list the file in %s)", path, ext, ManifestName)
	}
	f := File{Path: path, Subject: strings.TrimSuffix(filepath.Base(path), ext), SchemaType: typ}
	return f, f.read()
}

func (f *File) read() error {
	b, err := os.ReadFile(f.Path)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return fmt.Errorf("%s: empty schema file", f.Path)
	}
	f.Text = string(b)
	return nil
}

func readManifest(path string) ([]File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(m.Schemas) == 0 {
		return nil, fmt.Errorf("%s: no schemas listed (want a list under \"schemas:\")", path)
	}
	dir := filepath.Dir(path)
	for i := range m.Schemas {
		f := &m.Schemas[i]
		var problems []error
		if f.Path == "" {
			problems = append(problems, errors.New("no file"))
		}
		if f.Subject == "" {
			problems = append(problems, errors.New("no subject"))
		}
		if f.SchemaType == "" {
			f.SchemaType = typesByExtension[filepath.Ext(f.Path)]
		}
		f.SchemaType = strings.ToUpper(f.SchemaType)
		if f.SchemaType != "AVRO" && f.SchemaType != "JSON" && f.SchemaType != "PROTOBUF" {
			problems = append(problems, fmt.Errorf("schemaType %q is not AVRO, JSON or PROTOBUF", f.SchemaType))
		}
		if len(problems) > 0 {
			return nil, fmt.Errorf("%s: schemas[%d]: %w", path, i, errors.Join(problems...))
		}
		if !filepath.IsAbs(f.Path) {
			f.Path = filepath.Join(dir, f.Path)
		}
		if err := f.read(); err != nil {
			return nil, fmt.Errorf("%s: schemas[%d]: %w", path, i, err)
		}
	}
	return m.Schemas, nil
}
