module pushcast

go 1.19
