import { linear } from '../linear.ts';
import { DEFENDER_DIR, PROGRAM_FILES, SYSTEM_DIR } from './paths.ts';
import type { KnowledgeRow } from './row.ts';

/**
 * Credential access seen as process access (Sysmon 10): who opened LSASS or a security product,
 * with which rights, from which code. Source and target images, the granted access mask and the
 * call trace are measured by the sensor. (Dumping commands — procdump -ma lsass, comsvcs
 * MiniDump, reg save hklm\sam — are command-patterns.ts; dump files and tools are locations.ts.)
 */

/**
 * Access masks that include PROCESS_VM_READ (0x10): 0x1010, 0x1410, 0x1438, 0x1fffff… Query-only
 * masks (0x1000, 0x1400), which Windows components use all the time, do not.
 */
const READ_MEMORY = `^0x[0-9a-f]*[13579bdf][0-9a-f]$`;

/**
 * Masks that allow terminating (0x1), writing memory (0x20) or suspending (0x800) a process.
 */
const TAMPER_RIGHTS = `^0x(?:[0-9a-f]*[13579bdf]|[0-9a-f]*[2367abef][0-9a-f]|[0-9a-f]*[89a-f][0-9a-f]{2})$`;

/** Processes that open LSASS with read rights as part of Windows or of security software. */
const LSASS_READERS = `${SYSTEM_DIR}(?:csrss|wininit|lsm|services|svchost|wmiprvse|taskmgr|mrt|werfault|wbem\\\\wmiprvse|lsaiso|vmtoolsd)\\.exe$|${DEFENDER_DIR}|${PROGRAM_FILES}(?:windows defender|microsoft security client|vmware\\\\vmware tools|crowdstrike|sentinelone|cylance|sophos|mcafee|symantec|trend micro|eset|kaspersky|bitdefender|carbon black|palo alto networks|microsoft monitoring agent|azure advanced threat protection sensor)\\\\`;

export const CREDENTIAL: readonly KnowledgeRow[] = [
  {
    id: 'cred.lsass_access',
    title: 'LSASS memory opened for reading',
    signals: ['target_process.image'],
    pattern: linear(String.raw`\\lsass\.exe$`),
    also: [{ in: ['target_process.granted_access'], re: linear(READ_MEMORY) }],
    unless: [{ in: ['process.image'], re: linear(LSASS_READERS) }],
    weight: 4,
    mitre: ['T1003.001'],
    why: 'reading LSASS memory is how Mimikatz, procdump and comsvcs MiniDump take credentials; Windows and security products that do it are excluded',
    group: 'cred',
    floor: 'High',
  },
  {
    id: 'cred.unbacked_caller',
    title: 'Process access from unbacked memory',
    signals: ['process.call_trace'],
    pattern: linear(String.raw`unknown\(`),
    also: [
      {
        in: ['target_process.image'],
        re: linear(String.raw`\\(?:lsass|csrss|winlogon|msmpeng|svchost|explorer|spoolsv)\.exe$`),
      },
    ],
    weight: 2.5,
    mitre: ['T1055', 'T1003.001'],
    why: 'a call stack frame outside any loaded module is injected or reflectively loaded code',
    group: 'inject',
  },
  {
    id: 'cred.security_process_access',
    title: 'Security product process opened with full rights',
    signals: ['target_process.image'],
    pattern: linear(
      String.raw`\\(?:msmpeng|nissrv|mssense|sensecncproxy|securityhealthservice|csfalconservice|sentinelagent|cb|repmgr|sophos\w*|ekrn|avp|mcshield|sysmon64|sysmon)\.exe$`,
    ),
    also: [{ in: ['target_process.granted_access'], re: linear(TAMPER_RIGHTS) }],
    unless: [
      {
        in: ['process.image'],
        re: linear(
          `${SYSTEM_DIR}(?:csrss|wininit|services|svchost|lsass|wmiprvse|taskmgr)\\.exe$|${DEFENDER_DIR}|${PROGRAM_FILES}`,
        ),
      },
    ],
    weight: 3,
    mitre: ['T1562.001'],
    why: 'opening the antivirus or EDR process with write or full access is how EDR-freeze and EDR-killer tools suspend or terminate it',
    group: 'tamper',
  },
  {
    id: 'cred.remote_thread_into_system',
    title: 'Thread created in another process',
    signals: ['event.action'],
    pattern: linear('^create_remote_thread$'),
    also: [
      {
        in: ['process.image'],
        re: linear(
          String.raw`(?:\\users\\|\\programdata\\|\\windows\\temp\\|\\perflogs\\|^[a-z]:\\[^\\]+$|\\powershell\.exe$|\\rundll32\.exe$|\\regsvr32\.exe$|\\mshta\.exe$|\\wscript\.exe$|\\cscript\.exe$)`,
        ),
      },
    ],
    weight: 3,
    mitre: ['T1055'],
    why: 'scripts and programs from user folders injecting a thread into another process is process injection',
    group: 'inject',
  },
  {
    id: 'cred.vault_module',
    title: 'Credential vault library loaded by an unusual program',
    signals: ['file.path'],
    pattern: linear(String.raw`\\(?:vaultcli|samlib|wdigest|kerberos|msv1_0|dpapi|offreg)\.dll$`),
    also: [{ in: ['file.action'], re: linear('^loaded$') }],
    unless: [
      {
        in: ['process.image'],
        re: linear(`${SYSTEM_DIR}|${PROGRAM_FILES}|^[a-z]:\\\\windows\\\\explorer\\.exe$|${DEFENDER_DIR}`),
      },
    ],
    weight: 2,
    mitre: ['T1555.004', 'T1003'],
    why: 'outside Windows and installed software, loading the vault or authentication packages means reading stored credentials',
    group: 'cred.search',
  },
];
