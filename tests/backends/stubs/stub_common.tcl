# Shared by the recorded stubs of Vivado and Vitis HLS: option parsing that rejects unknown
# options and missing values, a call log (one tab-separated line per call) and an `unknown`
# that fails on any command no stub defines, so a typo in a generated script fails here.

set ::stub_log [open $::env(STUB_LOG) w]

proc stub_record {args} {
    puts $::stub_log [join $args "\t"]
    flush $::stub_log
}

# spec: dict {option flag|value}. Accepts -opt value, -opt=value and bare flags.
# Returns {options positional}.
proc stub_parse {cmd arglist spec} {
    set opts [dict create]
    set pos {}
    set n [llength $arglist]
    for {set i 0} {$i < $n} {incr i} {
        set arg [lindex $arglist $i]
        if {[string match -* $arg] && ![string is double -strict $arg]} {
            set name [string range $arg 1 end]
            set value ""
            set has_value 0
            set eq [string first = $name]
            if {$eq >= 0} {
                set value [string range $name [expr {$eq + 1}] end]
                set name [string range $name 0 [expr {$eq - 1}]]
                set has_value 1
            }
            if {![dict exists $spec $name]} { error "$cmd: unknown option -$name" }
            if {[dict get $spec $name] eq "value" && !$has_value} {
                incr i
                if {$i >= $n} { error "$cmd: option -$name needs a value" }
                set value [lindex $arglist $i]
            } elseif {!$has_value} {
                set value 1
            }
            dict set opts $name $value
        } else {
            lappend pos $arg
        }
    }
    return [list $opts $pos]
}

proc stub_need {cmd opts names} {
    foreach name $names {
        if {![dict exists $opts $name]} { error "$cmd: missing required option -$name" }
    }
}

proc stub_count {cmd pos low high} {
    set n [llength $pos]
    if {$n < $low || ($high >= 0 && $n > $high)} {
        error "$cmd: expected $low..$high positional arguments, got $n: $pos"
    }
}

proc unknown {args} {
    error "unknown command '[lindex $args 0]': not a Tcl or recorded tool command"
}

rename exit stub_real_exit
proc exit {{code 0}} {
    stub_record exit $code
    close $::stub_log
    stub_real_exit $code
}

# Run the generated script; any error ends the run with exit code 1 and the message.
proc stub_main {script} {
    if {[catch {uplevel #0 [list source $script]} message]} {
        stub_record ERROR $message
        puts stderr "ERROR: $message"
        exit 1
    }
    exit 0
}
