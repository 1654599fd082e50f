package testenv

import (
	"compress/gzip"
	"io"
	"net/http"

	"google.golang.org/protobuf/proto"
)

// ReadOTLP reads an OTLP/HTTP export (protobuf, plain or gzip) into msg, as
// a collector or Loki receives it. Only POST to path exists, as on the real
// endpoint, so an exporter posting elsewhere loses its data here too. When
// the request is not such an export it answers it (404 or 400) and returns
// false.
func ReadOTLP(w http.ResponseWriter, req *http.Request, path string, msg proto.Message) bool {
	if req.Method != http.MethodPost || req.URL.Path != path {
		http.NotFound(w, req)
		return false
	}
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return false
		}
		body = zr
	}
	raw, err := io.ReadAll(body)
	if err == nil {
		err = proto.Unmarshal(raw, msg)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
