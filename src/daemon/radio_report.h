/* st87d: the answer to ST87D_RADIO (st87ctl status's radio section). */
#ifndef ST87_DAEMON_RADIO_REPORT_H
#define ST87_DAEMON_RADIO_REPORT_H

/*
 * Runs the radio queries as one engine job (between the engine's other
 * commands: no second opener of the port) and answers on @connection with
 * radio_lines.h's lines, then ST87D_ANSWER.
 */
void radio_report(int connection);

#endif
