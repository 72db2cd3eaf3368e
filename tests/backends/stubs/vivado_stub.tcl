# Recorded stub of the Vivado 2023.2 Tcl commands the generated project and block design
# use. It models what the scripts rely on: the Xilinx IP cores' interfaces and parameters
# (an unknown CONFIG key, a disabled PS7 port or a missing smartconnect slot is an error),
# the IP catalog read from ip_repo_paths, interface compatibility (master to slave, equal
# AXI-Stream widths), and validate_bd_design's checks (everything connected, clocked, reset
# and addressed). Runs write the .bit and .hwh where Vivado would, so the export is checked.
# STUB_BOARD_PARTS lists the installed board parts.

namespace eval viv {
    variable project ""
    variable proj_dir ""
    variable part ""
    variable board_part ""
    variable repos {}
    variable catalog [dict create]
    variable bd ""
    variable cells [dict create]
    variable config [dict create]
    variable used_intf [dict create]
    variable used_pins [dict create]
    variable external {}
    variable addressed [dict create]
    variable all_assigned 0
    variable validated 0
    variable saved 0
    variable wrapper ""
    variable top ""
    variable runs [dict create]
    variable xilinx {
        xilinx.com:ip:processing_system7:5.5 ps7
        xilinx.com:ip:axi_dma:7.1 axi_dma
        xilinx.com:ip:smartconnect:1.0 smartconnect
        xilinx.com:ip:proc_sys_reset:5.0 proc_sys_reset
        xilinx.com:ip:axis_dwidth_converter:1.1 axis_dwidth_converter
        xilinx.com:ip:xlconcat:2.1 xlconcat
    }
    variable params {
        axi_dma {c_include_sg c_sg_length_width c_include_mm2s c_include_s2mm c_addr_width
            c_m_axi_mm2s_data_width c_m_axis_mm2s_tdata_width c_m_axi_s2mm_data_width
            c_s_axis_s2mm_tdata_width c_mm2s_burst_size c_s2mm_burst_size
            c_sg_include_stscntrl_strm c_include_mm2s_dre c_include_s2mm_dre}
        smartconnect {NUM_SI NUM_MI NUM_CLKS}
        proc_sys_reset {C_EXT_RST_WIDTH C_AUX_RST_WIDTH}
        axis_dwidth_converter {S_TDATA_NUM_BYTES M_TDATA_NUM_BYTES HAS_TLAST HAS_TKEEP
            HAS_TSTRB TUSER_BITS_PER_BYTE TID_WIDTH TDEST_WIDTH}
        xlconcat {NUM_PORTS IN0_WIDTH IN1_WIDTH IN2_WIDTH}
    }
    variable defaults {
        ps7 {}
        axi_dma {c_include_sg 1 c_include_mm2s 1 c_include_s2mm 1 c_m_axis_mm2s_tdata_width 32
            c_s_axis_s2mm_tdata_width 32}
        smartconnect {NUM_SI 1 NUM_MI 1}
        proc_sys_reset {}
        axis_dwidth_converter {S_TDATA_NUM_BYTES 1 M_TDATA_NUM_BYTES 1}
        xlconcat {NUM_PORTS 2}
    }
}

proc viv::cfg {cell key {default 0}} {
    set c [dict get $viv::config $cell]
    return [expr {[dict exists $c $key] ? [dict get $c $key] : $default}]
}

proc viv::kind {cell} {
    set vlnv [dict get $viv::cells $cell]
    if {[dict exists $viv::xilinx $vlnv]} { return [dict get $viv::xilinx $vlnv] }
    return hls
}

# {name {protocol mode width}} for the cell's interfaces under its current configuration.
proc viv::interfaces {cell} {
    set out [dict create]
    switch [viv::kind $cell] {
        ps7 {
            if {[viv::cfg $cell PCW_USE_M_AXI_GP0] == 1} {
                dict set out M_AXI_GP0 {aximm master 32}
            }
            for {set i 0} {$i < 4} {incr i} {
                if {[viv::cfg $cell PCW_USE_S_AXI_HP$i] == 1} {
                    dict set out S_AXI_HP$i [list aximm slave [viv::cfg $cell \
                        PCW_S_AXI_HP${i}_DATA_WIDTH 64]]
                }
            }
            dict set out DDR {ddr master 0}
            dict set out FIXED_IO {fixedio master 0}
        }
        axi_dma {
            dict set out S_AXI_LITE {aximm slave 32}
            if {[viv::cfg $cell c_include_mm2s] == 1} {
                dict set out M_AXI_MM2S {aximm master 32}
                dict set out M_AXIS_MM2S [list axis master [viv::cfg $cell c_m_axis_mm2s_tdata_width]]
            }
            if {[viv::cfg $cell c_include_s2mm] == 1} {
                dict set out M_AXI_S2MM {aximm master 32}
                dict set out S_AXIS_S2MM [list axis slave [viv::cfg $cell c_s_axis_s2mm_tdata_width]]
            }
            if {[viv::cfg $cell c_include_sg] == 1} { dict set out M_AXI_SG {aximm master 32} }
        }
        smartconnect {
            for {set i 0} {$i < [viv::cfg $cell NUM_SI]} {incr i} {
                dict set out [format S%02d_AXI $i] {aximm slave 0}
            }
            for {set i 0} {$i < [viv::cfg $cell NUM_MI]} {incr i} {
                dict set out [format M%02d_AXI $i] {aximm master 0}
            }
        }
        axis_dwidth_converter {
            dict set out S_AXIS [list axis slave [expr {8 * [viv::cfg $cell S_TDATA_NUM_BYTES]}]]
            dict set out M_AXIS [list axis master [expr {8 * [viv::cfg $cell M_TDATA_NUM_BYTES]}]]
        }
        hls {
            set out [dict get $viv::catalog [dict get $viv::cells $cell] interfaces]
        }
    }
    return $out
}

proc viv::pins {cell} {
    switch [viv::kind $cell] {
        ps7 {
            set out {FCLK_CLK0 FCLK_RESET0_N}
            if {[viv::cfg $cell PCW_USE_M_AXI_GP0] == 1} { lappend out M_AXI_GP0_ACLK }
            for {set i 0} {$i < 4} {incr i} {
                if {[viv::cfg $cell PCW_USE_S_AXI_HP$i] == 1} { lappend out S_AXI_HP${i}_ACLK }
            }
            if {[viv::cfg $cell PCW_USE_FABRIC_INTERRUPT] == 1 && \
                    [viv::cfg $cell PCW_IRQ_F2P_INTR] == 1} { lappend out IRQ_F2P }
            return $out
        }
        axi_dma {
            set out {s_axi_lite_aclk axi_resetn}
            if {[viv::cfg $cell c_include_mm2s] == 1} { lappend out m_axi_mm2s_aclk mm2s_introut }
            if {[viv::cfg $cell c_include_s2mm] == 1} { lappend out m_axi_s2mm_aclk s2mm_introut }
            if {[viv::cfg $cell c_include_sg] == 1} { lappend out m_axi_sg_aclk }
            return $out
        }
        smartconnect { return {aclk aresetn} }
        proc_sys_reset {
            return {slowest_sync_clk ext_reset_in aux_reset_in mb_debug_sys_rst dcm_locked
                peripheral_aresetn interconnect_aresetn peripheral_reset mb_reset
                bus_struct_reset}
        }
        axis_dwidth_converter { return {aclk aresetn} }
        xlconcat {
            set out {dout}
            for {set i 0} {$i < [viv::cfg $cell NUM_PORTS]} {incr i} { lappend out In$i }
            return $out
        }
        hls { return [dict get $viv::catalog [dict get $viv::cells $cell] pins] }
    }
}

proc viv::split {path} {
    set path [string trimleft $path /]
    set slash [string first / $path]
    return [list [string range $path 0 [expr {$slash - 1}]] [string range $path [expr {$slash + 1}] end]]
}

proc viv::need_bd {cmd} { if {$viv::bd eq ""} { error "$cmd: no block design open" } }

source [file join [file dirname [info script]] vivado_stub_commands.tcl]
source [file join [file dirname [info script]] vivado_stub_runs.tcl]
