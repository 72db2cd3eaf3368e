# Recorded stub of the Vitis HLS 2023.2 Tcl commands the generated scripts use. Each command
# checks its options, arguments and order (part before clock, sources before csynth, csynth
# before export) and logs one line; export_design leaves a component.xml where Vitis HLS
# would put the IP.

namespace eval hls {
    variable project ""
    variable solution ""
    variable top ""
    variable part ""
    variable clock ""
    variable files {}
    variable synthesized 0
}

proc hls::need {cmd what} {
    if {[set hls::$what] eq ""} { error "$cmd: no $what yet (wrong command order)" }
}

proc open_project {args} {
    lassign [stub_parse open_project $args {reset flag}] opts pos
    stub_count open_project $pos 1 1
    set hls::project [lindex $pos 0]
    set hls::solution ""
    set hls::top ""
    set hls::files {}
    set hls::synthesized 0
    file mkdir $hls::project
    stub_record open_project $hls::project
}

proc set_top {args} {
    lassign [stub_parse set_top $args {}] opts pos
    stub_count set_top $pos 1 1
    hls::need set_top project
    set hls::top [lindex $pos 0]
    stub_record set_top $hls::top
}

proc add_files {args} {
    lassign [stub_parse add_files $args {cflags value csimflags value tb flag blackbox value}] \
        opts pos
    stub_count add_files $pos 1 -1
    hls::need add_files project
    set cflags [expr {[dict exists $opts cflags] ? [dict get $opts cflags] : ""}]
    foreach flag $cflags {
        if {[string match -I* $flag]} {
            set dir [string range $flag 2 end]
            if {[file pathtype $dir] ne "absolute"} { error "add_files: relative include $dir" }
            if {![file isdirectory $dir]} { error "add_files: include dir $dir does not exist" }
        }
    }
    foreach path $pos {
        if {![file isfile $path]} { error "add_files: no such file $path" }
        lappend hls::files $path
        stub_record add_files $path $cflags
    }
}

proc open_solution {args} {
    lassign [stub_parse open_solution $args {reset flag flow_target value}] opts pos
    stub_count open_solution $pos 1 1
    hls::need open_solution project
    if {[dict exists $opts flow_target] && [dict get $opts flow_target] ni {vivado vitis}} {
        error "open_solution: bad -flow_target [dict get $opts flow_target]"
    }
    set hls::solution [lindex $pos 0]
    set target [expr {[dict exists $opts flow_target] ? [dict get $opts flow_target] : "default"}]
    stub_record open_solution $hls::solution $target
}

proc set_part {args} {
    lassign [stub_parse set_part $args {tool value}] opts pos
    stub_count set_part $pos 1 1
    hls::need set_part solution
    if {![regexp {^x[a-z0-9]+-?[a-z0-9]+-[0-9a-z]+$} [lindex $pos 0]]} {
        error "set_part: not a part name: [lindex $pos 0]"
    }
    set hls::part [lindex $pos 0]
    stub_record set_part $hls::part
}

proc create_clock {args} {
    lassign [stub_parse create_clock $args {period value name value}] opts pos
    stub_count create_clock $pos 0 0
    stub_need create_clock $opts {period}
    hls::need create_clock solution
    set period [dict get $opts period]
    if {![string is double -strict $period] || $period <= 0} {
        error "create_clock: bad -period $period"
    }
    set hls::clock $period
    stub_record create_clock $period
}

proc config_rtl {args} {
    lassign [stub_parse config_rtl $args {reset value reset_level value reset_async flag}] \
        opts pos
    stub_count config_rtl $pos 0 0
    hls::need config_rtl solution
    if {[dict exists $opts reset_level] && [dict get $opts reset_level] ni {low high}} {
        error "config_rtl: bad -reset_level [dict get $opts reset_level]"
    }
    stub_record config_rtl {*}$opts
}

proc config_interface {args} {
    set spec {m_axi_addr64 flag m_axi_offset value m_axi_alignment_byte_size value
        m_axi_max_widen_bitwidth value default_slave_interface value register_io value}
    lassign [stub_parse config_interface $args $spec] opts pos
    stub_count config_interface $pos 0 0
    hls::need config_interface solution
    if {[dict exists $opts m_axi_offset] && [dict get $opts m_axi_offset] ni {off direct slave}} {
        error "config_interface: bad -m_axi_offset [dict get $opts m_axi_offset]"
    }
    if {[dict exists $opts m_axi_addr64] && [dict get $opts m_axi_addr64] ni {1 true false}} {
        error "config_interface: bad -m_axi_addr64 [dict get $opts m_axi_addr64]"
    }
    stub_record config_interface {*}$opts
}

proc csynth_design {args} {
    lassign [stub_parse csynth_design $args {}] opts pos
    stub_count csynth_design $pos 0 0
    foreach what {top part clock} { hls::need csynth_design $what }
    if {![llength $hls::files]} { error "csynth_design: no source files added" }
    set hls::synthesized 1
    stub_record csynth_design $hls::top
}

proc export_design {args} {
    set spec {format value rtl value vendor value library value version value ipname value
        display_name value description value taxonomy value output value flow value}
    lassign [stub_parse export_design $args $spec] opts pos
    stub_count export_design $pos 0 0
    stub_need export_design $opts {format vendor library version ipname}
    if {!$hls::synthesized} { error "export_design: run csynth_design first" }
    if {[dict get $opts format] ni {ip_catalog xo syn_dcp}} {
        error "export_design: bad -format [dict get $opts format]"
    }
    if {[dict exists $opts version] && ![regexp {^[0-9]+\.[0-9]+$} [dict get $opts version]]} {
        error "export_design: -version must be major.minor"
    }
    set vlnv [join [list [dict get $opts vendor] [dict get $opts library] \
        [dict get $opts ipname] [dict get $opts version]] :]
    set dir [file join $hls::project $hls::solution impl ip]
    file mkdir $dir
    set handle [open [file join $dir component.xml] w]
    puts $handle "<!-- stub IP $vlnv -->"
    close $handle
    stub_record export_design $vlnv $dir
}
