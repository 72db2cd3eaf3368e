# Validation, output products, runs and reports of the recorded Vivado stub.

# What Vivado's validation would reject: an unconnected interface, clock, reset or
# interrupt input, an AXI-Lite slave without an address, masters without DDR windows.
proc validate_bd_design {args} {
    lassign [stub_parse validate_bd_design $args {force flag}] opts pos
    viv::need_bd validate_bd_design
    set problems {}
    dict for {cell vlnv} $viv::cells {
        dict for {intf info} [viv::interfaces $cell] {
            if {![dict exists $viv::used_intf $cell/$intf] && "$cell/$intf" ni $viv::external} {
                lappend problems "$cell/$intf unconnected"
            }
        }
        foreach pin [viv::pins $cell] {
            set input [regexp {(aclk|ACLK|ap_clk|slowest_sync_clk|aresetn|ap_rst_n|axi_resetn|ext_reset_in|^In[0-9]+|IRQ_F2P)$} $pin]
            if {[regexp {^(peripheral|interconnect)_aresetn$} $pin]} { set input 0 }
            if {$input && ![dict exists $viv::used_pins $cell/$pin]} {
                lappend problems "$cell/$pin unconnected"
            }
        }
        if {[viv::kind $cell] ne "ps7"} {
            dict for {intf info} [viv::interfaces $cell] {
                if {[lrange $info 0 1] eq {aximm slave} && [dict exists $viv::used_intf $cell/$intf] \
                        && [viv::kind $cell] ne "smartconnect" && ![dict exists $viv::addressed $cell/$intf]} {
                    lappend problems "$cell/$intf has no address"
                }
            }
        }
    }
    if {!$viv::all_assigned} { lappend problems "DDR windows of the masters not assigned" }
    if {[llength $problems]} { error "validate_bd_design: [join $problems {; }]" }
    set viv::validated 1
    stub_record validate_bd_design ok
}

proc save_bd_design {args} {
    viv::need_bd save_bd_design
    set viv::saved 1
    stub_record save_bd_design
}

proc viv::bd_file {} {
    return [file join $viv::proj_dir $viv::project.srcs sources_1 bd $viv::bd $viv::bd.bd]
}

proc get_files {args} {
    lassign [stub_parse get_files $args {quiet flag}] opts pos
    if {[lindex $pos 0] ne "$viv::bd.bd" || !$viv::saved} { error "get_files: no file [lindex $pos 0]" }
    return [viv::bd_file]
}

proc generate_target {args} {
    lassign [stub_parse generate_target $args {force flag}] opts pos
    stub_count generate_target $pos 2 2
    if {[lindex $pos 1] ne [viv::bd_file] || !$viv::validated} { error "generate_target: block design not validated" }
    set dir [file join $viv::proj_dir $viv::project.gen sources_1 bd $viv::bd hw_handoff]
    file mkdir $dir
    set handle [open [file join $dir $viv::bd.hwh] w]
    puts $handle "<stub hwh of $viv::bd>"
    close $handle
    stub_record generate_target [lindex $pos 0]
}

proc make_wrapper {args} {
    lassign [stub_parse make_wrapper $args {files value top flag}] opts pos
    stub_need make_wrapper $opts {files top}
    if {[dict get $opts files] ne [viv::bd_file]} { error "make_wrapper: not the block design file" }
    set viv::wrapper [file join $viv::proj_dir $viv::project.gen sources_1 bd $viv::bd hdl ${viv::bd}_wrapper.v]
    stub_record make_wrapper
    return $viv::wrapper
}

proc add_files {args} {
    lassign [stub_parse add_files $args {norecurse flag fileset value}] opts pos
    if {$pos ne [list $viv::wrapper]} { error "add_files: unexpected files $pos" }
    stub_record add_files [file tail $pos]
}

proc update_compile_order {args} {
    lassign [stub_parse update_compile_order $args {fileset value}] opts pos
    stub_record update_compile_order
}

proc get_runs {args} {
    lassign [stub_parse get_runs $args {}] opts pos
    if {[lindex $pos 0] ni {synth_1 impl_1}} { error "get_runs: no run [lindex $pos 0]" }
    return [lindex $pos 0]
}

proc launch_runs {args} {
    lassign [stub_parse launch_runs $args {jobs value to_step value}] opts pos
    stub_count launch_runs $pos 1 1
    set run [lindex $pos 0]
    if {$run eq "synth_1" && ($viv::top ne "${viv::bd}_wrapper" || $viv::wrapper eq "")} {
        error "launch_runs: top is '$viv::top', not the wrapper"
    }
    if {$run eq "impl_1"} {
        if {![dict exists $viv::runs synth_1]} { error "launch_runs: impl_1 before synth_1" }
        if {![dict exists $opts to_step] || [dict get $opts to_step] ne "write_bitstream"} {
            error "launch_runs: impl_1 without -to_step write_bitstream"
        }
        set dir [file join $viv::proj_dir $viv::project.runs impl_1]
        file mkdir $dir
        set handle [open [file join $dir ${viv::bd}_wrapper.bit] w]
        puts $handle "stub bitstream"
        close $handle
    }
    dict set viv::runs $run launched
    stub_record launch_runs $run {*}$opts
}

proc wait_on_runs {args} {
    lassign [stub_parse wait_on_runs $args {timeout value quiet flag}] opts pos
    foreach run $pos {
        if {![dict exists $viv::runs $run]} { error "wait_on_runs: $run not launched" }
        dict set viv::runs $run done
    }
    stub_record wait_on_runs {*}$pos
}

proc get_property {args} {
    lassign [stub_parse get_property $args {quiet flag}] opts pos
    lassign $pos name object
    switch $name {
        PROGRESS { return [expr {[dict exists $viv::runs $object] && [dict get $viv::runs $object] eq "done" ? "100%" : "0%"}] }
        DIRECTORY { return [file join $viv::proj_dir $viv::project.runs $object] }
        SLACK { return 0.250 }
        default { error "get_property: unknown property $name" }
    }
}

proc open_run {args} {
    lassign [stub_parse open_run $args {}] opts pos
    if {[dict get $viv::runs [lindex $pos 0]] ne "done"} { error "open_run: run not done" }
    stub_record open_run [lindex $pos 0]
}

proc get_timing_paths {args} {
    lassign [stub_parse get_timing_paths $args {max_paths value nworst value setup flag hold flag}] opts pos
    return timing_path_0
}

foreach report {report_utilization report_timing_summary} {
    proc $report {args} [string map [list @NAME@ $report] {
        lassign [stub_parse @NAME@ $args {file value}] opts pos
        stub_need @NAME@ $opts {file}
        set handle [open [dict get $opts file] w]
        puts $handle "stub @NAME@"
        close $handle
        stub_record @NAME@ [file tail [dict get $opts file]]
    }]
}
