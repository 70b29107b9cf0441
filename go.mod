module tamix

go 1.26.0

require github.com/stretchr/testify v1.12.1

require (
	github.com/usbarmory/tamago v1.26.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/arch v0.33.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
)

tool github.com/usbarmory/tamago/cmd/tamago
