package main

// version is set by the Makefile from git describe.
var version = "dev"
