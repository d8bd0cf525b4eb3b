import { describe, expect, it } from 'vitest';
import { bothFaces } from '../both-faces.js';

/** Every function of `wasi_snapshot_preview1` (witx), in witx order. */
const preview1Functions = [
  'args_get',
  'args_sizes_get',
  'environ_get',
  'environ_sizes_get',
  'clock_res_get',
  'clock_time_get',
  'fd_advise',
  'fd_allocate',
  'fd_close',
  'fd_datasync',
  'fd_fdstat_get',
  'fd_fdstat_set_flags',
  'fd_fdstat_set_rights',
  'fd_filestat_get',
  'fd_filestat_set_size',
  'fd_filestat_set_times',
  'fd_pread',
  'fd_prestat_get',
  'fd_prestat_dir_name',
  'fd_pwrite',
  'fd_read',
  'fd_readdir',
  'fd_renumber',
  'fd_seek',
  'fd_sync',
  'fd_tell',
  'fd_write',
  'path_create_directory',
  'path_filestat_get',
  'path_filestat_set_times',
  'path_link',
  'path_open',
  'path_readlink',
  'path_remove_directory',
  'path_rename',
  'path_symlink',
  'path_unlink_file',
  'poll_oneoff',
  'proc_exit',
  'proc_raise',
  'sched_yield',
  'random_get',
  'sock_accept',
  'sock_recv',
  'sock_send',
  'sock_shutdown',
];

describe('the preview1 import object', () => {
  it('offers every wasi_snapshot_preview1 function, assembled from the domain modules, and nothing else', () => {
    const { preview1 } = bothFaces();
    expect(Object.keys(preview1.imports).sort()).toEqual([...preview1Functions].sort());
  });

  it("attack: an import of a run that ended (its instance kept by a memory's list) reaches none of that run's state", () => {
    const { preview1 } = bothFaces();
    const [text, length] = preview1.bytes('still here?');
    expect(preview1.call('fd_write', 1, preview1.iovecs(new TextEncoder().encode('still here?')), 1, preview1.bytes('....')[0])).toBe('SUCCESS');
    preview1.host.release();
    for (const name of ['fd_write', 'path_open', 'args_get', 'clock_time_get']) {
      expect(() => preview1.imports[name]!(1, text, length, 0, 0, 0, 0n, 0n, 0, 0)).toThrow('a preview1 call after its run ended');
    }
  });
});
