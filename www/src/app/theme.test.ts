import { describe, expect, it } from 'vitest';
import { effectiveTheme } from './theme';

describe('effectiveTheme', () => {
  it('follows the system when the choice is system', () => {
    expect(effectiveTheme('system', true)).toBe('dark');
    expect(effectiveTheme('system', false)).toBe('light');
  });
  it('keeps an explicit choice whatever the system prefers', () => {
    expect(effectiveTheme('light', true)).toBe('light');
    expect(effectiveTheme('dark', false)).toBe('dark');
  });
});
