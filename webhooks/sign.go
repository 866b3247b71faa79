package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// signature is the webhook-signature header of a message as the Standard
// Webhooks specification defines it: for each secret ("whsec_" and the
// key in base64), "v1," and the base64 HMAC-SHA256 of "id.timestamp.body"
// under the key, separated by spaces.
func signature(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		if err != nil {
			return "", fmt.Errorf("webhooks: a stored secret is not base64: %w", err)
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + strconv.FormatInt(timestamp, 10) + "."))
		mac.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	return strings.Join(sigs, " "), nil
}
