// A Go program of the kind an IoT gateway runs (test_unrouted.py): GET URL, the body to FILE.
// Built with CGO_ENABLED=0, it makes its own system calls: no libc for the shim to catch.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: http_get URL FILE")
		os.Exit(2)
	}
	response, err := http.Get(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "http_get:", err)
		os.Exit(1)
	}
	defer response.Body.Close()
	out, err := os.Create(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "http_get:", err)
		os.Exit(1)
	}
	defer out.Close()
	if _, err := io.Copy(out, response.Body); err != nil {
		fmt.Fprintln(os.Stderr, "http_get:", err)
		os.Exit(1)
	}
}
