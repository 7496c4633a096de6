import { TemplateCampaignError } from '../application/template-campaigns';
import { TemplatesUnavailableError } from '../application/templates/template-catalogue';
import { HttpProblem } from './problem';

/**
 * Template errors as problems: a campaign that cannot be sent as asked is a 400 naming each field
 * under `prefix` (`body.template.components.body.2`); a connection without a business account id is
 * `unconfigured` (400 on a campaign, 409 on the connection); a provider that cannot be reached, 502.
 */
export async function answeringTemplateProblems<T>(
  prefix: string,
  run: () => Promise<T>,
  unconfigured: { status: 400 | 409; field: string } = { status: 400, field: `${prefix}.connectionId` },
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TemplateCampaignError)
      throw new HttpProblem(
        400,
        'Bad Request',
        'the template campaign cannot be sent as asked',
        error.problems.map((problem) => ({ field: `${prefix}.${problem.field}`, message: problem.message })),
      );
    if (error instanceof TemplatesUnavailableError && (error.code === 'NO_WABA_ID' || error.code === 'UNSUPPORTED')) {
      const message =
        error.code === 'NO_WABA_ID'
          ? 'the connection has no cloudApi.wabaId: set it (PATCH /v1/connections/{id}) so its templates can be read'
          : 'this connection’s gateway has no message templates';
      if (unconfigured.status === 409) throw new HttpProblem(409, 'Conflict', message);
      throw new HttpProblem(400, 'Bad Request', 'the request body is invalid', [
        { field: error.field ? `${prefix}.${error.field}` : unconfigured.field, message },
      ]);
    }
    if (error instanceof TemplatesUnavailableError) throw new HttpProblem(502, 'Bad Gateway', error.message);
    throw error;
  }
}
