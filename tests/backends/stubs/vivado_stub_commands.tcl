# Project and block-design commands of the recorded Vivado stub (state and IP models are in
# vivado_stub.tcl; validation, runs and reports in vivado_stub_runs.tcl).

proc version {args} { return 2023.2 }
proc current_project {args} { return $viv::project }
proc current_fileset {args} { return sources_1 }

proc create_project {args} {
    lassign [stub_parse create_project $args {force flag part value in_memory flag}] opts pos
    stub_count create_project $pos 2 2
    stub_need create_project $opts {part}
    set viv::part [dict get $opts part]
    if {$viv::part ni {xc7z020clg400-1 xc7z010clg400-1}} { error "create_project: unknown part $viv::part" }
    lassign $pos viv::project viv::proj_dir
    file mkdir $viv::proj_dir
    stub_record create_project $viv::project $viv::part
}

proc get_board_parts {args} {
    lassign [stub_parse get_board_parts $args {quiet flag}] opts pos
    set installed [expr {[info exists ::env(STUB_BOARD_PARTS)] ? $::env(STUB_BOARD_PARTS) : ""}]
    return [lsearch -all -inline $installed [lindex $pos 0]]
}

proc set_property {args} {
    lassign [stub_parse set_property $args {dict value quiet flag}] opts pos
    if {[dict exists $opts dict]} {
        stub_count set_property $pos 1 1
        set values [dict get $opts dict]
        set objects $pos
    } else {
        stub_count set_property $pos 3 3
        lassign $pos name value objects
        set values [list $name $value]
    }
    foreach object $objects {
        if {$object eq $viv::project && $object ne ""} {
            dict for {name value} $values {
                switch $name {
                    board_part { set viv::board_part $value }
                    ip_repo_paths { set viv::repos $value }
                    default { error "set_property: unknown project property $name" }
                }
                stub_record set_property project $name $value
            }
        } elseif {$object eq "sources_1"} {
            if {[dict keys $values] ne "top"} { error "set_property: fileset takes only top" }
            set viv::top [dict get $values top]
            stub_record set_property fileset top $viv::top
        } else {
            viv::set_cell_config $object $values
        }
    }
}

proc viv::set_cell_config {object values} {
    set cell [string trimleft $object /]
    if {![dict exists $viv::cells $cell]} { error "set_property: no object $object" }
    set kind [viv::kind $cell]
    dict for {key value} $values {
        if {![string match CONFIG.* $key]} { error "set_property: $key is not a CONFIG parameter" }
        set name [string range $key 7 end]
        if {$kind eq "ps7"} {
            if {![string match PCW_* $name]} { error "set_property: ps7 has no $name" }
        } elseif {$kind eq "hls" || $name ni [dict get $viv::params $kind]} {
            error "set_property: $cell ($kind) has no parameter $name"
        }
        dict set viv::config $cell $name $value
        stub_record set_property $cell $name $value
    }
}

proc update_ip_catalog {args} {
    lassign [stub_parse update_ip_catalog $args {rebuild flag}] opts pos
    foreach repo $viv::repos {
        if {![file isdirectory $repo]} { error "update_ip_catalog: no IP repository $repo" }
        set description [file join $repo stub_component.tcl]
        if {[file exists [file join $repo component.xml]] && [file exists $description]} {
            set handle [open $description]
            set entry [read $handle]
            close $handle
            dict set viv::catalog [dict get $entry vlnv] $entry
        }
    }
    stub_record update_ip_catalog [dict keys $viv::catalog]
}

proc get_ipdefs {args} {
    lassign [stub_parse get_ipdefs $args {quiet flag}] opts pos
    set vlnv [lindex $pos 0]
    if {[dict exists $viv::catalog $vlnv] || [dict exists $viv::xilinx $vlnv]} { return $vlnv }
    return ""
}

proc create_bd_design {args} {
    lassign [stub_parse create_bd_design $args {}] opts pos
    stub_count create_bd_design $pos 1 1
    if {$viv::project eq ""} { error "create_bd_design: no project" }
    set viv::bd [lindex $pos 0]
    stub_record create_bd_design $viv::bd
}

proc create_bd_cell {args} {
    lassign [stub_parse create_bd_cell $args {type value vlnv value}] opts pos
    stub_count create_bd_cell $pos 1 1
    stub_need create_bd_cell $opts {type vlnv}
    viv::need_bd create_bd_cell
    set vlnv [dict get $opts vlnv]
    set name [lindex $pos 0]
    if {[dict exists $viv::cells $name]} { error "create_bd_cell: $name exists" }
    if {[dict exists $viv::xilinx $vlnv]} {
        dict set viv::config $name [dict get $viv::defaults [dict get $viv::xilinx $vlnv]]
    } elseif {[dict exists $viv::catalog $vlnv]} {
        dict set viv::config $name {}
    } else {
        error "create_bd_cell: IP $vlnv is not in the catalog"
    }
    dict set viv::cells $name $vlnv
    stub_record create_bd_cell $name $vlnv
    return /$name
}

proc apply_bd_automation {args} {
    lassign [stub_parse apply_bd_automation $args {rule value config value}] opts pos
    stub_need apply_bd_automation $opts {rule config}
    set cell [string trimleft [lindex $pos 0] /]
    if {[dict get $opts rule] ne "xilinx.com:bd_rule:processing_system7" || \
            [viv::kind $cell] ne "ps7"} { error "apply_bd_automation: wrong rule or cell" }
    set config [dict get $opts config]
    if {[dict get $config apply_board_preset] == 1 && $viv::board_part eq ""} {
        error "apply_bd_automation: board preset requested but the project has no board_part"
    }
    if {[dict get $config make_external] ne "FIXED_IO, DDR"} { error "apply_bd_automation: DDR/FIXED_IO not external" }
    lappend viv::external $cell/DDR $cell/FIXED_IO
    stub_record apply_bd_automation $cell [dict get $config apply_board_preset]
}

proc get_bd_pins {args} {
    lassign [stub_parse get_bd_pins $args {quiet flag}] opts pos
    lassign [viv::split [lindex $pos 0]] cell pin
    if {[dict exists $viv::cells $cell] && $pin in [viv::pins $cell]} { return /$cell/$pin }
    return ""
}

proc get_bd_intf_pins {args} {
    lassign [stub_parse get_bd_intf_pins $args {quiet flag}] opts pos
    lassign [viv::split [lindex $pos 0]] cell pin
    if {[dict exists $viv::cells $cell] && [dict exists [viv::interfaces $cell] $pin]} {
        return /$cell/$pin
    }
    return ""
}

proc connect_bd_intf_net {args} {
    lassign [stub_parse connect_bd_intf_net $args {}] opts pos
    stub_count connect_bd_intf_net $pos 2 2
    set ends {}
    foreach path $pos {
        lassign [viv::split $path] cell pin
        if {![dict exists $viv::cells $cell] || ![dict exists [viv::interfaces $cell] $pin]} {
            error "connect_bd_intf_net: no interface $path"
        }
        if {[dict exists $viv::used_intf $cell/$pin]} { error "connect_bd_intf_net: $path already connected" }
        lappend ends [dict get [viv::interfaces $cell] $pin]
    }
    lassign $ends a b
    if {[lindex $a 0] ne [lindex $b 0]} { error "connect_bd_intf_net: protocols differ: $pos" }
    if {[lindex $a 1] ne "master" || [lindex $b 1] ne "slave"} { error "connect_bd_intf_net: not master -> slave: $pos" }
    if {[lindex $a 0] eq "axis" && [lindex $a 2] != [lindex $b 2]} {
        error "connect_bd_intf_net: stream widths differ ([lindex $a 2] vs [lindex $b 2]): $pos"
    }
    foreach path $pos { dict set viv::used_intf [string trimleft $path /] 1 }
    stub_record connect_bd_intf_net {*}[lmap p $pos {string trimleft $p /}]
}

proc connect_bd_net {args} {
    lassign [stub_parse connect_bd_net $args {net value}] opts pos
    stub_count connect_bd_net $pos 2 -1
    set names {}
    foreach path $pos {
        lassign [viv::split $path] cell pin
        if {![dict exists $viv::cells $cell] || $pin ni [viv::pins $cell]} { error "connect_bd_net: no pin $path" }
        if {[dict exists $viv::used_pins $cell/$pin]} { error "connect_bd_net: $path already connected" }
        dict set viv::used_pins $cell/$pin 1
        lappend names $cell/$pin
    }
    stub_record connect_bd_net {*}$names
}

proc get_bd_addr_spaces {args} {
    lassign [stub_parse get_bd_addr_spaces $args {}] opts pos
    if {[lindex $pos 0] ne "ps7/Data" || ![dict exists $viv::cells ps7]} { error "get_bd_addr_spaces: no [lindex $pos 0]" }
    return /ps7/Data
}

proc get_bd_addr_segs {args} {
    lassign [stub_parse get_bd_addr_segs $args {}] opts pos
    set path [string trimleft [lindex $pos 0] /]
    lassign [viv::split $path] cell rest
    lassign [split $rest /] intf seg
    if {$seg ne "Reg" || ![dict exists $viv::cells $cell] || \
            ![dict exists [viv::interfaces $cell] $intf] || \
            [lrange [dict get [viv::interfaces $cell] $intf] 0 1] ne {aximm slave}} {
        error "get_bd_addr_segs: no segment $path"
    }
    return /$path
}

proc assign_bd_address {args} {
    lassign [stub_parse assign_bd_address $args {offset value range value target_address_space value force flag}] opts pos
    if {![llength $pos]} {
        set viv::all_assigned 1
        stub_record assign_bd_address all
        return
    }
    stub_need assign_bd_address $opts {offset range target_address_space}
    set offset [dict get $opts offset]
    if {[dict get $opts range] ne "64K" || $offset % 0x10000} { error "assign_bd_address: bad window $offset" }
    if {$offset < 0x40000000 || $offset >= 0x80000000} { error "assign_bd_address: $offset is not in GP0's range" }
    foreach seg $pos {
        set intf [join [lrange [split [string trimleft $seg /] /] 0 1] /]
        dict set viv::addressed $intf $offset
        stub_record assign_bd_address $intf [format 0x%08X $offset]
    }
}
