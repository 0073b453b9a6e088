/*
 * ABI facts the io_uring send engine adds (Interop.IoUring.cs, MAP_SHARED/MAP_POPULATE in
 * Interop.Mman.cs, ECANCELED in Interop.Errno.cs): the syscall numbers, the ring offsets and
 * structs, opcodes and flags, checked against <linux/io_uring.h>. Format and checking: see abi_check.h.
 */
#include "abi_check.h"

#include <errno.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>

int main(void)
{
    ABI_VALUE("SYS_io_uring_setup", __NR_io_uring_setup);
    ABI_VALUE("SYS_io_uring_enter", __NR_io_uring_enter);
    ABI_VALUE("SYS_io_uring_register", __NR_io_uring_register);
    ABI_ERRNO(ECANCELED);
    ABI_ERRNO(EBUSY);
    ABI_CONST(MAP_SHARED);
    ABI_CONST(MAP_POPULATE);

    ABI_CONST(IORING_OFF_SQ_RING);
    ABI_CONST(IORING_OFF_CQ_RING);
    ABI_CONST(IORING_OFF_SQES);
    ABI_CONST(IORING_SETUP_CQSIZE);
    ABI_CONST(IORING_SETUP_CLAMP);
    ABI_CONST(IORING_FEAT_SINGLE_MMAP);
    ABI_CONST(IORING_FEAT_NODROP);
    ABI_CONST(IORING_ENTER_GETEVENTS);
    ABI_CONST(IORING_OP_NOP);
    ABI_CONST(IORING_OP_SENDMSG);
    ABI_CONST(IORING_OP_ASYNC_CANCEL);
    ABI_CONST(IORING_OP_SEND);
    ABI_CONST(IORING_OP_SEND_ZC);
    ABI_CONST(IORING_OP_SENDMSG_ZC);
    ABI_CONST(IORING_RECVSEND_FIXED_BUF);
    ABI_CONST(IORING_SEND_ZC_REPORT_USAGE);
    ABI_VALUE("IORING_NOTIF_USAGE_ZC_COPIED", (unsigned int)IORING_NOTIF_USAGE_ZC_COPIED);
    ABI_CONST(IORING_CQE_F_MORE);
    ABI_CONST(IORING_CQE_F_NOTIF);
    ABI_CONST(IORING_REGISTER_BUFFERS);
    ABI_CONST(IORING_UNREGISTER_BUFFERS);
    ABI_CONST(IORING_REGISTER_PROBE);
    ABI_CONST(IORING_REGISTER_BUFFERS2);
    ABI_CONST(IORING_REGISTER_BUFFERS_UPDATE);
    ABI_CONST(IORING_RSRC_REGISTER_SPARSE);
    ABI_CONST(IO_URING_OP_SUPPORTED);

    ABI_SIZEOF(io_sqring_offsets, struct io_sqring_offsets);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, head);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, tail);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, ring_mask);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, ring_entries);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, flags);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, dropped);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, array);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, resv1);
    ABI_FIELD(io_sqring_offsets, struct io_sqring_offsets, resv2);

    ABI_SIZEOF(io_cqring_offsets, struct io_cqring_offsets);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, head);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, tail);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, ring_mask);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, ring_entries);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, overflow);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, cqes);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, flags);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, resv1);
    ABI_FIELD(io_cqring_offsets, struct io_cqring_offsets, resv2);

    ABI_SIZEOF(io_uring_params, struct io_uring_params);
    ABI_FIELD(io_uring_params, struct io_uring_params, sq_entries);
    ABI_FIELD(io_uring_params, struct io_uring_params, cq_entries);
    ABI_FIELD(io_uring_params, struct io_uring_params, flags);
    ABI_FIELD(io_uring_params, struct io_uring_params, sq_thread_cpu);
    ABI_FIELD(io_uring_params, struct io_uring_params, sq_thread_idle);
    ABI_FIELD(io_uring_params, struct io_uring_params, features);
    ABI_FIELD(io_uring_params, struct io_uring_params, wq_fd);
    ABI_FIELD(io_uring_params, struct io_uring_params, resv);
    ABI_FIELD(io_uring_params, struct io_uring_params, sq_off);
    ABI_FIELD(io_uring_params, struct io_uring_params, cq_off);

    ABI_SIZEOF(io_uring_sqe, struct io_uring_sqe);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, opcode);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, flags);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, ioprio);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, fd);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, off);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, addr);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, len);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, msg_flags);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, user_data);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, buf_index);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, personality);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, splice_fd_in);
    ABI_FIELD(io_uring_sqe, struct io_uring_sqe, addr3);

    ABI_SIZEOF(io_uring_cqe, struct io_uring_cqe);
    ABI_FIELD(io_uring_cqe, struct io_uring_cqe, user_data);
    ABI_FIELD(io_uring_cqe, struct io_uring_cqe, res);
    ABI_FIELD(io_uring_cqe, struct io_uring_cqe, flags);

    ABI_SIZEOF(io_uring_probe, struct io_uring_probe);
    ABI_FIELD(io_uring_probe, struct io_uring_probe, last_op);
    ABI_FIELD(io_uring_probe, struct io_uring_probe, ops_len);
    ABI_FIELD(io_uring_probe, struct io_uring_probe, resv);
    ABI_FIELD(io_uring_probe, struct io_uring_probe, resv2);

    ABI_SIZEOF(io_uring_probe_op, struct io_uring_probe_op);
    ABI_FIELD(io_uring_probe_op, struct io_uring_probe_op, op);
    ABI_FIELD(io_uring_probe_op, struct io_uring_probe_op, resv);
    ABI_FIELD(io_uring_probe_op, struct io_uring_probe_op, flags);
    ABI_FIELD(io_uring_probe_op, struct io_uring_probe_op, resv2);

    ABI_SIZEOF(io_uring_rsrc_register, struct io_uring_rsrc_register);
    ABI_FIELD(io_uring_rsrc_register, struct io_uring_rsrc_register, nr);
    ABI_FIELD(io_uring_rsrc_register, struct io_uring_rsrc_register, flags);
    ABI_FIELD(io_uring_rsrc_register, struct io_uring_rsrc_register, resv2);
    ABI_FIELD(io_uring_rsrc_register, struct io_uring_rsrc_register, data);
    ABI_FIELD(io_uring_rsrc_register, struct io_uring_rsrc_register, tags);

    ABI_SIZEOF(io_uring_rsrc_update2, struct io_uring_rsrc_update2);
    ABI_FIELD(io_uring_rsrc_update2, struct io_uring_rsrc_update2, offset);
    ABI_FIELD(io_uring_rsrc_update2, struct io_uring_rsrc_update2, resv);
    ABI_FIELD(io_uring_rsrc_update2, struct io_uring_rsrc_update2, data);
    ABI_FIELD(io_uring_rsrc_update2, struct io_uring_rsrc_update2, tags);
    ABI_FIELD(io_uring_rsrc_update2, struct io_uring_rsrc_update2, nr);
    ABI_FIELD(io_uring_rsrc_update2, struct io_uring_rsrc_update2, resv2);
    return 0;
}
