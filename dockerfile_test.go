package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestImageCheckMatchesDockerfile: scripts/image-check.sh assembles the
// runtime stage by hand (no registry here to build the Dockerfile from),
// so its environment, volumes and user must be the Dockerfile's.
func TestImageCheckMatchesDockerfile(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := os.ReadFile("scripts/image-check.sh")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.ReplaceAll(string(df), "\\\n", " ")
	runtime := src[strings.LastIndex(src, "FROM scratch"):]
	var env, vols []string
	user := ""
	for _, l := range strings.Split(runtime, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "ENV":
			env = append(env, f[1:]...)
		case "VOLUME":
			if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(l, "VOLUME"))), &vols); err != nil {
				t.Fatalf("VOLUME: %v", err)
			}
		case "USER":
			user = f[1]
		}
	}
	cfg := regexp.MustCompile(`(?s)\$B config (.*?)"\$c"`).FindStringSubmatch(strings.ReplaceAll(string(sh), "\\\n", " "))
	if cfg == nil {
		t.Fatal("image-check.sh has no buildah config line")
	}
	var shEnv, shVols []string
	shUser := ""
	f := strings.Fields(cfg[1])
	for i := 0; i+1 < len(f); i++ {
		switch f[i] {
		case "--env":
			shEnv = append(shEnv, f[i+1])
		case "--volume":
			shVols = append(shVols, f[i+1])
		case "--user":
			shUser = f[i+1]
		}
	}
	slices.Sort(env)
	slices.Sort(shEnv)
	slices.Sort(vols)
	slices.Sort(shVols)
	if !slices.Equal(env, shEnv) || !slices.Equal(vols, shVols) || user != shUser || user == "" {
		t.Errorf("Dockerfile: env %v volumes %v user %q\nimage-check.sh: env %v volumes %v user %q", env, vols, user, shEnv, shVols, shUser)
	}
	if !slices.Contains(env, "FOOTNOTE_DATA_DIR=/data") || !slices.Contains(vols, "/data") ||
		!strings.Contains(runtime, "--chown="+user+" /out/data /data") {
		t.Error("the image's data folder must be a /data volume owned by the user it runs as")
	}
}
