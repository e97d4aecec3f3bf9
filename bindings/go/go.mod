module github.com/pushcast/pushcast/bindings/go

go 1.19
