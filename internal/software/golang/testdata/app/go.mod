module example.com/app

go 1.21

require (
	example.com/dep v1.2.3
	github.com/package-url/packageurl-go v0.1.7
)

replace example.com/dep => ./dep
