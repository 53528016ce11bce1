package config

import "strings"

// removedKeys are keys of earlier versions that no longer do anything,
// with what replaced them: a configuration that sets one is refused with
// this message rather than silently behaving differently.
var removedKeys = map[string]string{
	"sessions.home_uid": homeIDsRemoved,
	"sessions.home_gid": homeIDsRemoved,
}

const homeIDsRemoved = "removed: sessions no longer all run as one uid; each user's sessions run as a uid of their own from sessions.uid_range, which also owns their home (an existing home is given to it at its user's next start). Delete this key"

// removedEnv is removedKeys for an environment variable's name.
func removedEnv(name string) (string, bool) {
	for k, msg := range removedKeys {
		if name == EnvPrefix+strings.ToUpper(strings.ReplaceAll(k, ".", "_")) {
			return msg, true
		}
	}
	return "", false
}
