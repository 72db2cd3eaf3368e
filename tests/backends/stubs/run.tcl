# tclsh run.tcl <stub.tcl> <generated script>: the stub's commands, then the script.
# STUB_LOG names the call log.
set here [file dirname [file normalize [info script]]]
source [file join $here stub_common.tcl]
source [file join $here [lindex $argv 0]]
stub_main [lindex $argv 1]
